<?xml version="1.0" encoding="UTF-8"?>
<!-- S3XML that travelled inside an EDXL-DE envelope (in Eden's S3XML namespace) back to plain,
     namespace-less S3XML for the importer. -->
<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="no" encoding="UTF-8"/>
  <xsl:template match="*">
    <xsl:element name="{local-name()}">
      <!-- tm_match is Tidemark's own identity hint for mapped standards; a sender does not set it. -->
      <xsl:copy-of select="@*[name() != 'tm_match']"/>
      <xsl:apply-templates select="node()"/>
    </xsl:element>
  </xsl:template>
  <xsl:template match="text()"><xsl:copy/></xsl:template>
</xsl:stylesheet>

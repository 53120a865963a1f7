<?xml version="1.0" encoding="UTF-8"?>
<!--
  S3XML cap_alert records to CAP 1.2. One live alert gives one cap:alert document; several give a
  tm:documents wrapper that the caller splits into one document per alert (CAP has no
  multi-alert document).
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:tm="urn:tidemark:xslt"
    exclude-result-prefixes="tm">
  <xsl:include href="cap-common.xsl"/>
  <xsl:output method="xml" indent="no" encoding="UTF-8"/>
  <xsl:strip-space elements="*"/>

  <!-- One alert by uuid, or every live alert. -->
  <xsl:param name="uuid" select="''"/>

  <xsl:template match="/">
    <xsl:variable name="alerts" select="s3xml/resource[@name = 'cap_alert'][tm:live(.)][$uuid = '' or @uuid = $uuid]"/>
    <xsl:choose>
      <xsl:when test="count($alerts) = 1"><xsl:apply-templates select="$alerts" mode="cap"/></xsl:when>
      <xsl:otherwise>
        <tm:documents><xsl:apply-templates select="$alerts" mode="cap"/></tm:documents>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>

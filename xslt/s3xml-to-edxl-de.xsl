<?xml version="1.0" encoding="UTF-8"?>
<!--
  The EDXL-DE envelope, version 2.0 or 1.0 (parameter `version`), around content that Tidemark has
  already produced and validated (EDXL-HAVE, CAP) or S3XML records.

  Input is a small request document written by src/interchange/envelope.ts:
    <tm:envelope distributionID senderID sent expires status kind confidentiality language>
      <tm:keyword list="...">...</tm:keyword>*
      <tm:content format="cap|edxl-have|s3xml" description="..." id="...">document</tm:content>+
    </tm:envelope>
  One contentObject per tm:content. The target area is the union of what the content says: CAP
  area polygons, circles and geocodes, and the hospitals' points. S3XML is embedded in the S3XML
  namespace (EDXL-DE only admits content in another namespace). Date-times are written in UTC with
  a numeric zone (DE 2.0 does not accept "Z").
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tm="urn:tidemark:envelope"
    xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2"
    xmlns:have="urn:oasis:names:tc:emergency:EDXL:HAVE:1.0"
    xmlns:gml31="http://www.opengis.net/gml"
    xmlns:de2="urn:oasis:names:tc:emergency:EDXL:DE:2.0"
    xmlns:de1="urn:oasis:names:tc:emergency:EDXL:DE:1.0"
    xmlns:ct="urn:oasis:names:tc:emergency:edxl:ct:1.0"
    xmlns:edxl-gsf="urn:oasis:names:tc:emergency:edxl:gsf:1.0"
    xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    exclude-result-prefixes="xs tm cap have gml31 de1 de2">

  <xsl:output method="xml" indent="no" encoding="UTF-8"/>
  <xsl:param name="version" as="xs:string" select="'2.0'"/>

  <xsl:variable name="S3" select="'http://eden.sahanafoundation.org/wiki/S3XML'"/>

  <xsl:function name="tm:time" as="xs:string">
    <xsl:param name="iso" as="xs:string"/>
    <xsl:variable name="dt" select="adjust-dateTime-to-timezone(xs:dateTime($iso), xs:dayTimeDuration('PT0H'))"/>
    <xsl:sequence select="format-dateTime($dt, '[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01]') || '+00:00'"/>
  </xsl:function>

  <xsl:template match="/tm:envelope">
    <xsl:choose>
      <xsl:when test="$version = '1.0'"><xsl:call-template name="de1"/></xsl:when>
      <xsl:otherwise><xsl:call-template name="de2"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ==================================== EDXL-DE 2.0 ==================================== -->
  <xsl:template name="de2">
    <xsl:variable name="polygons" select="tm:content//cap:area/cap:polygon"/>
    <xsl:variable name="geocodes" select="tm:content//cap:area/cap:geocode"/>
    <xsl:variable name="points" select="tm:content//have:OrganizationGeoLocation/gml31:Point/gml31:pos"/>
    <de2:edxlDistribution xlink:type="extended">
      <de2:distributionID><xsl:value-of select="@distributionID"/></de2:distributionID>
      <de2:senderID><xsl:value-of select="@senderID"/></de2:senderID>
      <de2:dateTimeSent><xsl:value-of select="tm:time(@sent)"/></de2:dateTimeSent>
      <de2:dateTimeExpires><xsl:value-of select="tm:time(@expires)"/></de2:dateTimeExpires>
      <de2:distributionStatus><xsl:value-of select="@status"/></de2:distributionStatus>
      <de2:distributionKind><xsl:value-of select="@kind"/></de2:distributionKind>
      <de2:descriptor xlink:type="resource">
        <de2:combinedConfidentiality><xsl:value-of select="@confidentiality"/></de2:combinedConfidentiality>
        <xsl:if test="@language != ''"><de2:language><xsl:value-of select="@language"/></de2:language></xsl:if>
        <xsl:for-each select="tm:keyword">
          <de2:keyword><ct:ValueListURI><xsl:value-of select="@list"/></ct:ValueListURI><ct:Value><xsl:value-of select="."/></ct:Value></de2:keyword>
        </xsl:for-each>
        <xsl:if test="$polygons or $geocodes or $points">
          <de2:targetAreas>
            <de2:areaKind>DistributionTargetArea</de2:areaKind>
            <de2:areaGrouping>Union</de2:areaGrouping>
            <xsl:for-each select="$polygons">
              <de2:targetArea>
                <edxl-gsf:EDXLGeoLocation>
                  <gml:Polygon gml:id="{concat('area-', generate-id())}" srsName="urn:ogc:def:crs:EPSG::4326">
                    <gml:exterior><gml:LinearRing>
                      <xsl:for-each select="tokenize(normalize-space(.), ' ')">
                        <gml:pos><xsl:value-of select="translate(., ',', ' ')"/></gml:pos>
                      </xsl:for-each>
                    </gml:LinearRing></gml:exterior>
                  </gml:Polygon>
                </edxl-gsf:EDXLGeoLocation>
              </de2:targetArea>
            </xsl:for-each>
            <xsl:for-each select="$points">
              <de2:targetArea>
                <edxl-gsf:EDXLGeoLocation>
                  <gml:Point gml:id="{concat('point-', generate-id())}" srsName="urn:ogc:def:crs:EPSG::4326">
                    <gml:pos><xsl:value-of select="normalize-space(.)"/></gml:pos>
                  </gml:Point>
                </edxl-gsf:EDXLGeoLocation>
              </de2:targetArea>
            </xsl:for-each>
            <xsl:for-each-group select="$geocodes" group-by="concat(cap:valueName, '&#9;', cap:value)">
              <de2:targetArea>
                <de2:geoPoliticalLocation>
                  <ct:GeoCode><ct:ValueListURI><xsl:value-of select="cap:valueName"/></ct:ValueListURI><ct:Value><xsl:value-of select="cap:value"/></ct:Value></ct:GeoCode>
                </de2:geoPoliticalLocation>
              </de2:targetArea>
            </xsl:for-each-group>
          </de2:targetAreas>
        </xsl:if>
      </de2:descriptor>
      <de2:content xlink:type="resource">
        <xsl:for-each select="tm:content">
          <de2:contentObject xlink:type="resource">
            <de2:contentDescriptor>
              <xsl:if test="@description != ''"><de2:contentDescription><xsl:value-of select="@description"/></de2:contentDescription></xsl:if>
              <de2:contentKeyword><ct:ValueListURI>urn:tidemark:format</ct:ValueListURI><ct:Value><xsl:value-of select="@format"/></ct:Value></de2:contentKeyword>
              <xsl:if test="@id != ''"><de2:contentID><xsl:value-of select="@id"/></de2:contentID></xsl:if>
            </de2:contentDescriptor>
            <de2:contentXML>
              <de2:embeddedXMLContent><xsl:apply-templates select="*" mode="embed"/></de2:embeddedXMLContent>
            </de2:contentXML>
          </de2:contentObject>
        </xsl:for-each>
      </de2:content>
    </de2:edxlDistribution>
  </xsl:template>

  <!-- ==================================== EDXL-DE 1.0 ==================================== -->
  <xsl:template name="de1">
    <de1:EDXLDistribution>
      <de1:distributionID><xsl:value-of select="@distributionID"/></de1:distributionID>
      <de1:senderID><xsl:value-of select="@senderID"/></de1:senderID>
      <de1:dateTimeSent><xsl:value-of select="tm:time(@sent)"/></de1:dateTimeSent>
      <de1:distributionStatus><xsl:value-of select="if (@status = ('Actual', 'Exercise', 'System', 'Test')) then @status else 'Test'"/></de1:distributionStatus>
      <de1:distributionType><xsl:value-of select="@kind"/></de1:distributionType>
      <de1:combinedConfidentiality><xsl:value-of select="@confidentiality"/></de1:combinedConfidentiality>
      <xsl:if test="@language != ''"><de1:language><xsl:value-of select="@language"/></de1:language></xsl:if>
      <xsl:for-each select="tm:keyword">
        <de1:keyword><de1:valueListUrn><xsl:value-of select="@list"/></de1:valueListUrn><de1:value><xsl:value-of select="."/></de1:value></de1:keyword>
      </xsl:for-each>
      <xsl:variable name="circles" select="(tm:content//cap:area/cap:circle,
          tm:content//have:OrganizationGeoLocation/gml31:Point/gml31:pos ! (string-join(tokenize(normalize-space(.), ' '), ',') || ' 0'))"/>
      <xsl:variable name="polygons" select="tm:content//cap:area/cap:polygon"/>
      <xsl:if test="exists($circles) or exists($polygons)">
        <de1:targetArea>
          <xsl:for-each select="$circles"><de1:circle><xsl:value-of select="."/></de1:circle></xsl:for-each>
          <xsl:for-each select="$polygons"><de1:polygon><xsl:value-of select="."/></de1:polygon></xsl:for-each>
        </de1:targetArea>
      </xsl:if>
      <xsl:for-each select="tm:content">
        <de1:contentObject>
          <xsl:if test="@description != ''"><de1:contentDescription><xsl:value-of select="@description"/></de1:contentDescription></xsl:if>
          <de1:contentKeyword><de1:valueListUrn>urn:tidemark:format</de1:valueListUrn><de1:value><xsl:value-of select="@format"/></de1:value></de1:contentKeyword>
          <de1:xmlContent>
            <de1:embeddedXMLContent><xsl:apply-templates select="*" mode="embed"/></de1:embeddedXMLContent>
          </de1:xmlContent>
        </de1:contentObject>
      </xsl:for-each>
    </de1:EDXLDistribution>
  </xsl:template>

  <!-- Content in a namespace is copied as it is; S3XML (no namespace) moves into Eden's S3XML namespace. -->
  <xsl:template match="*" mode="embed">
    <xsl:copy-of select="."/>
  </xsl:template>
  <xsl:template match="*[namespace-uri() = '']" mode="embed">
    <xsl:element name="{local-name()}" namespace="{$S3}">
      <xsl:copy-of select="@*"/>
      <xsl:apply-templates select="node()" mode="embed"/>
    </xsl:element>
  </xsl:template>
  <xsl:template match="text()" mode="embed"><xsl:copy/></xsl:template>
</xsl:stylesheet>

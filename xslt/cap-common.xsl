<?xml version="1.0" encoding="UTF-8"?>
<!--
  The CAP 1.2 alert built from an S3XML cap_alert record with its cap_info, cap_area and
  cap_resource components. Shared by s3xml-to-cap.xsl (one document per alert) and
  s3xml-to-cap-atom.xsl (the feed of current alerts).

  Areas and resources name the info block they belong to (info_id); those that name none go into
  the first info block. Every date-time is written in UTC with the numeric zone CAP 1.2 requires
  ("+00:00"; CAP does not accept "Z"). The event type reference travels as an eventCode named
  urn:tidemark:event_type_id so that cap-to-s3xml.xsl restores it.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    xmlns:tm="urn:tidemark:xslt"
    xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2"
    exclude-result-prefixes="xs fn tm">

  <xsl:key name="resource" match="resource[@uuid]" use="@uuid"/>

  <xsl:function name="tm:live" as="xs:boolean">
    <xsl:param name="r" as="element()"/>
    <xsl:sequence select="not(lower-case(string($r/@deleted)) = 'true')"/>
  </xsl:function>

  <!-- Raw value of a data field: `value` attribute if any, else the text. -->
  <xsl:function name="tm:v" as="xs:string?">
    <xsl:param name="r" as="element()?"/>
    <xsl:param name="f" as="xs:string"/>
    <xsl:variable name="d" select="$r/data[@field = $f][1]"/>
    <!-- Eden's rule: `value` holds the JSON of the stored value, so an option string comes quoted. -->
    <xsl:sequence select="if (empty($d)) then () else if ($d/@value) then (if (starts-with($d/@value, '&quot;')) then string(parse-json($d/@value)) else string($d/@value)) else string($d)"/>
  </xsl:function>

  <!-- A json field as a sequence of XPath values (arrays flattened). -->
  <xsl:function name="tm:json" as="item()*">
    <xsl:param name="r" as="element()?"/>
    <xsl:param name="f" as="xs:string"/>
    <xsl:variable name="s" select="tm:v($r, $f)"/>
    <xsl:sequence select="if (empty($s) or normalize-space($s) = '' or $s = 'null') then () else
                          (let $j := parse-json($s) return if ($j instance of array(*)) then $j?* else $j)"/>
  </xsl:function>

  <!-- UTC, whole seconds, "+00:00". -->
  <xsl:function name="tm:cap-time" as="xs:string">
    <xsl:param name="iso" as="xs:string"/>
    <xsl:variable name="dt" select="adjust-dateTime-to-timezone(xs:dateTime($iso), xs:dayTimeDuration('PT0H'))"/>
    <xsl:sequence select="format-dateTime($dt, '[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01]') || '+00:00'"/>
  </xsl:function>

  <xsl:template name="tm:text">
    <xsl:param name="r" as="element()?"/>
    <xsl:param name="f" as="xs:string"/>
    <xsl:param name="name" as="xs:string"/>
    <xsl:variable name="v" select="tm:v($r, $f)"/>
    <xsl:if test="exists($v) and $v != ''">
      <xsl:element name="cap:{$name}"><xsl:value-of select="$v"/></xsl:element>
    </xsl:if>
  </xsl:template>

  <xsl:template name="tm:time">
    <xsl:param name="r" as="element()?"/>
    <xsl:param name="f" as="xs:string"/>
    <xsl:param name="name" as="xs:string"/>
    <xsl:variable name="v" select="tm:v($r, $f)"/>
    <xsl:if test="exists($v) and $v != ''">
      <xsl:element name="cap:{$name}"><xsl:value-of select="tm:cap-time($v)"/></xsl:element>
    </xsl:if>
  </xsl:template>

  <xsl:template name="tm:pairs">
    <xsl:param name="items" as="item()*"/>
    <xsl:param name="name" as="xs:string"/>
    <xsl:for-each select="$items[. instance of map(*)]">
      <xsl:element name="cap:{$name}">
        <cap:valueName><xsl:value-of select="?valueName"/></cap:valueName>
        <cap:value><xsl:value-of select="?value"/></cap:value>
      </xsl:element>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="resource[@name = 'cap_alert']" mode="cap">
    <xsl:variable name="alert" select="."/>
    <xsl:variable name="infos" select="resource[@name = 'cap_info'][tm:live(.)]"/>
    <xsl:variable name="areas" select="resource[@name = 'cap_area'][tm:live(.)]"/>
    <xsl:variable name="resources" select="resource[@name = 'cap_resource'][tm:live(.)]"/>
    <cap:alert>
      <cap:identifier><xsl:value-of select="tm:v(., 'identifier')"/></cap:identifier>
      <cap:sender><xsl:value-of select="tm:v(., 'sender')"/></cap:sender>
      <cap:sent><xsl:value-of select="tm:cap-time((tm:v(., 'sent')[. != ''], string(@created_on))[1])"/></cap:sent>
      <cap:status><xsl:value-of select="tm:v(., 'status')"/></cap:status>
      <cap:msgType><xsl:value-of select="tm:v(., 'msg_type')"/></cap:msgType>
      <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'source'"/><xsl:with-param name="name" select="'source'"/></xsl:call-template>
      <cap:scope><xsl:value-of select="tm:v(., 'scope')"/></cap:scope>
      <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'restriction'"/><xsl:with-param name="name" select="'restriction'"/></xsl:call-template>
      <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'addresses'"/><xsl:with-param name="name" select="'addresses'"/></xsl:call-template>
      <xsl:for-each select="tm:json(., 'codes')">
        <cap:code><xsl:value-of select="."/></cap:code>
      </xsl:for-each>
      <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'note'"/><xsl:with-param name="name" select="'note'"/></xsl:call-template>
      <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'reference'"/><xsl:with-param name="name" select="'references'"/></xsl:call-template>
      <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'incidents'"/><xsl:with-param name="name" select="'incidents'"/></xsl:call-template>
      <xsl:for-each select="$infos">
        <xsl:variable name="info" select="."/>
        <xsl:variable name="first" select="position() = 1"/>
        <cap:info>
          <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'language'"/><xsl:with-param name="name" select="'language'"/></xsl:call-template>
          <xsl:for-each select="tm:json(., 'category')"><cap:category><xsl:value-of select="."/></cap:category></xsl:for-each>
          <cap:event><xsl:value-of select="tm:v(., 'event')"/></cap:event>
          <xsl:for-each select="tm:json(., 'response_type')"><cap:responseType><xsl:value-of select="."/></cap:responseType></xsl:for-each>
          <cap:urgency><xsl:value-of select="tm:v(., 'urgency')"/></cap:urgency>
          <cap:severity><xsl:value-of select="tm:v(., 'severity')"/></cap:severity>
          <cap:certainty><xsl:value-of select="tm:v(., 'certainty')"/></cap:certainty>
          <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'audience'"/><xsl:with-param name="name" select="'audience'"/></xsl:call-template>
          <xsl:call-template name="tm:pairs"><xsl:with-param name="items" select="tm:json(., 'event_code')"/><xsl:with-param name="name" select="'eventCode'"/></xsl:call-template>
          <xsl:if test="reference[@field = 'event_type_id']/@uuid">
            <cap:eventCode>
              <cap:valueName>urn:tidemark:event_type_id</cap:valueName>
              <cap:value><xsl:value-of select="reference[@field = 'event_type_id']/@uuid"/></cap:value>
            </cap:eventCode>
          </xsl:if>
          <xsl:call-template name="tm:time"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'effective'"/><xsl:with-param name="name" select="'effective'"/></xsl:call-template>
          <xsl:call-template name="tm:time"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'onset'"/><xsl:with-param name="name" select="'onset'"/></xsl:call-template>
          <xsl:call-template name="tm:time"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'expires'"/><xsl:with-param name="name" select="'expires'"/></xsl:call-template>
          <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'sender_name'"/><xsl:with-param name="name" select="'senderName'"/></xsl:call-template>
          <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'headline'"/><xsl:with-param name="name" select="'headline'"/></xsl:call-template>
          <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'description'"/><xsl:with-param name="name" select="'description'"/></xsl:call-template>
          <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'instruction'"/><xsl:with-param name="name" select="'instruction'"/></xsl:call-template>
          <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'web'"/><xsl:with-param name="name" select="'web'"/></xsl:call-template>
          <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'contact'"/><xsl:with-param name="name" select="'contact'"/></xsl:call-template>
          <xsl:call-template name="tm:pairs"><xsl:with-param name="items" select="tm:json(., 'parameter')"/><xsl:with-param name="name" select="'parameter'"/></xsl:call-template>
          <xsl:for-each select="$resources[reference[@field = 'info_id']/@uuid = $info/@uuid or ($first and not(reference[@field = 'info_id']/@uuid))]">
            <cap:resource>
              <cap:resourceDesc><xsl:value-of select="tm:v(., 'resource_desc')"/></cap:resourceDesc>
              <cap:mimeType><xsl:value-of select="tm:v(., 'mime_type')"/></cap:mimeType>
              <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'size'"/><xsl:with-param name="name" select="'size'"/></xsl:call-template>
              <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'uri'"/><xsl:with-param name="name" select="'uri'"/></xsl:call-template>
              <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'deref_uri'"/><xsl:with-param name="name" select="'derefUri'"/></xsl:call-template>
              <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'digest'"/><xsl:with-param name="name" select="'digest'"/></xsl:call-template>
            </cap:resource>
          </xsl:for-each>
          <xsl:for-each select="$areas[reference[@field = 'info_id']/@uuid = $info/@uuid or ($first and not(reference[@field = 'info_id']/@uuid))]">
            <cap:area>
              <cap:areaDesc><xsl:value-of select="tm:v(., 'name')"/></cap:areaDesc>
              <xsl:for-each select="tm:json(., 'polygon')"><cap:polygon><xsl:value-of select="."/></cap:polygon></xsl:for-each>
              <xsl:for-each select="tm:json(., 'circle')"><cap:circle><xsl:value-of select="."/></cap:circle></xsl:for-each>
              <xsl:call-template name="tm:pairs"><xsl:with-param name="items" select="tm:json(., 'geocode')"/><xsl:with-param name="name" select="'geocode'"/></xsl:call-template>
              <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'altitude'"/><xsl:with-param name="name" select="'altitude'"/></xsl:call-template>
              <xsl:call-template name="tm:text"><xsl:with-param name="r" select="."/><xsl:with-param name="f" select="'ceiling'"/><xsl:with-param name="name" select="'ceiling'"/></xsl:call-template>
            </cap:area>
          </xsl:for-each>
        </cap:info>
      </xsl:for-each>
    </cap:alert>
  </xsl:template>
</xsl:stylesheet>

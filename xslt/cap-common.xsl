<?xml version="1.0" encoding="UTF-8"?>
<!--
  The CAP 1.2 alert built from an S3XML cap_alert record with its cap_info, cap_area and
  cap_resource components. Shared by s3xml-to-cap.xsl (one document per alert) and
  s3xml-to-cap-atom.xsl (the feed of current alerts).

  Areas and resources name the info block they belong to (info_id); those that name none go into
  the first info block. Every date-time is written in UTC with the numeric zone CAP 1.2 requires
  ("+00:00"; CAP does not accept "Z"). The event type reference travels as an eventCode named
  urn:tidemark:event_type_id so that cap-to-s3xml.xsl restores it.

  Each record's fields are gathered once into a map (tm:fields) and read from it: a
  data[@field = ...] look-up per field costs SaxonJS a string comparison, with a comparer built
  for it, per data child.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    xmlns:map="http://www.w3.org/2005/xpath-functions/map"
    xmlns:tm="urn:tidemark:xslt"
    xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2"
    exclude-result-prefixes="xs fn map tm">

  <xsl:function name="tm:live" as="xs:boolean">
    <xsl:param name="r" as="element()"/>
    <xsl:sequence select="not(lower-case(string($r/@deleted)) = 'true')"/>
  </xsl:function>

  <!-- A record's data elements by field name, the first of each name. -->
  <xsl:function name="tm:fields" as="map(xs:string, element())">
    <xsl:param name="r" as="element()?"/>
    <xsl:sequence select="map:merge($r/data[@field] ! map:entry(string(@field), .), map{'duplicates': 'use-first'})"/>
  </xsl:function>

  <!-- Raw value of a data element: its `value` attribute if any, else its text. -->
  <xsl:function name="tm:value" as="xs:string?">
    <xsl:param name="d" as="element()?"/>
    <!-- Eden's rule: `value` holds the JSON of the stored value, so an option string comes quoted. -->
    <xsl:sequence select="if (empty($d)) then () else if ($d/@value) then (if (starts-with($d/@value, '&quot;')) then string(parse-json($d/@value)) else string($d/@value)) else string($d)"/>
  </xsl:function>

  <!-- Raw value of one field of a record (one look-up; tm:fields for several). -->
  <xsl:function name="tm:v" as="xs:string?">
    <xsl:param name="r" as="element()?"/>
    <xsl:param name="f" as="xs:string"/>
    <xsl:sequence select="tm:value($r/data[@field = $f][1])"/>
  </xsl:function>

  <!-- A json field's value as a sequence of XPath values (arrays flattened). -->
  <xsl:function name="tm:json" as="item()*">
    <xsl:param name="s" as="xs:string?"/>
    <xsl:sequence select="if (empty($s) or normalize-space($s) = '' or $s = 'null') then () else
                          (let $j := parse-json($s) return if ($j instance of array(*)) then $j?* else $j)"/>
  </xsl:function>

  <!-- UTC, whole seconds, "+00:00". -->
  <xsl:function name="tm:cap-time" as="xs:string">
    <xsl:param name="iso" as="xs:string"/>
    <xsl:variable name="dt" select="adjust-dateTime-to-timezone(xs:dateTime($iso), xs:dayTimeDuration('PT0H'))"/>
    <xsl:sequence select="format-dateTime($dt, '[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01]') || '+00:00'"/>
  </xsl:function>

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

  <!-- $a, $i, $r, $g: the fields of the alert, of an info block, of a resource, of an area.
       An optional element is written when its field's value is not empty (a for-each over at most
       one value). -->
  <xsl:template match="resource[@name = 'cap_alert']" mode="cap">
    <xsl:variable name="a" select="tm:fields(.)"/>
    <xsl:variable name="infos" select="resource[@name = 'cap_info'][tm:live(.)]"/>
    <xsl:variable name="areas" select="resource[@name = 'cap_area'][tm:live(.)]"/>
    <xsl:variable name="resources" select="resource[@name = 'cap_resource'][tm:live(.)]"/>
    <cap:alert>
      <cap:identifier><xsl:value-of select="tm:value($a?identifier)"/></cap:identifier>
      <cap:sender><xsl:value-of select="tm:value($a?sender)"/></cap:sender>
      <cap:sent><xsl:value-of select="tm:cap-time((tm:value($a?sent)[. != ''], string(@created_on))[1])"/></cap:sent>
      <cap:status><xsl:value-of select="tm:value($a?status)"/></cap:status>
      <cap:msgType><xsl:value-of select="tm:value($a?msg_type)"/></cap:msgType>
      <xsl:for-each select="tm:value($a?source)[. != '']"><cap:source><xsl:value-of select="."/></cap:source></xsl:for-each>
      <cap:scope><xsl:value-of select="tm:value($a?scope)"/></cap:scope>
      <xsl:for-each select="tm:value($a?restriction)[. != '']"><cap:restriction><xsl:value-of select="."/></cap:restriction></xsl:for-each>
      <xsl:for-each select="tm:value($a?addresses)[. != '']"><cap:addresses><xsl:value-of select="."/></cap:addresses></xsl:for-each>
      <xsl:for-each select="tm:json(tm:value($a?codes))"><cap:code><xsl:value-of select="."/></cap:code></xsl:for-each>
      <xsl:for-each select="tm:value($a?note)[. != '']"><cap:note><xsl:value-of select="."/></cap:note></xsl:for-each>
      <xsl:for-each select="tm:value($a?reference)[. != '']"><cap:references><xsl:value-of select="."/></cap:references></xsl:for-each>
      <xsl:for-each select="tm:value($a?incidents)[. != '']"><cap:incidents><xsl:value-of select="."/></cap:incidents></xsl:for-each>
      <xsl:for-each select="$infos">
        <xsl:variable name="info" select="."/>
        <xsl:variable name="first" select="position() = 1"/>
        <xsl:variable name="i" select="tm:fields(.)"/>
        <cap:info>
          <xsl:for-each select="tm:value($i?language)[. != '']"><cap:language><xsl:value-of select="."/></cap:language></xsl:for-each>
          <xsl:for-each select="tm:json(tm:value($i?category))"><cap:category><xsl:value-of select="."/></cap:category></xsl:for-each>
          <cap:event><xsl:value-of select="tm:value($i?event)"/></cap:event>
          <xsl:for-each select="tm:json(tm:value($i?response_type))"><cap:responseType><xsl:value-of select="."/></cap:responseType></xsl:for-each>
          <cap:urgency><xsl:value-of select="tm:value($i?urgency)"/></cap:urgency>
          <cap:severity><xsl:value-of select="tm:value($i?severity)"/></cap:severity>
          <cap:certainty><xsl:value-of select="tm:value($i?certainty)"/></cap:certainty>
          <xsl:for-each select="tm:value($i?audience)[. != '']"><cap:audience><xsl:value-of select="."/></cap:audience></xsl:for-each>
          <xsl:call-template name="tm:pairs"><xsl:with-param name="items" select="tm:json(tm:value($i?event_code))"/><xsl:with-param name="name" select="'eventCode'"/></xsl:call-template>
          <xsl:if test="reference[@field = 'event_type_id']/@uuid">
            <cap:eventCode>
              <cap:valueName>urn:tidemark:event_type_id</cap:valueName>
              <cap:value><xsl:value-of select="reference[@field = 'event_type_id']/@uuid"/></cap:value>
            </cap:eventCode>
          </xsl:if>
          <xsl:for-each select="tm:value($i?effective)[. != '']"><cap:effective><xsl:value-of select="tm:cap-time(.)"/></cap:effective></xsl:for-each>
          <xsl:for-each select="tm:value($i?onset)[. != '']"><cap:onset><xsl:value-of select="tm:cap-time(.)"/></cap:onset></xsl:for-each>
          <xsl:for-each select="tm:value($i?expires)[. != '']"><cap:expires><xsl:value-of select="tm:cap-time(.)"/></cap:expires></xsl:for-each>
          <xsl:for-each select="tm:value($i?sender_name)[. != '']"><cap:senderName><xsl:value-of select="."/></cap:senderName></xsl:for-each>
          <xsl:for-each select="tm:value($i?headline)[. != '']"><cap:headline><xsl:value-of select="."/></cap:headline></xsl:for-each>
          <xsl:for-each select="tm:value($i?description)[. != '']"><cap:description><xsl:value-of select="."/></cap:description></xsl:for-each>
          <xsl:for-each select="tm:value($i?instruction)[. != '']"><cap:instruction><xsl:value-of select="."/></cap:instruction></xsl:for-each>
          <xsl:for-each select="tm:value($i?web)[. != '']"><cap:web><xsl:value-of select="."/></cap:web></xsl:for-each>
          <xsl:for-each select="tm:value($i?contact)[. != '']"><cap:contact><xsl:value-of select="."/></cap:contact></xsl:for-each>
          <xsl:call-template name="tm:pairs"><xsl:with-param name="items" select="tm:json(tm:value($i?parameter))"/><xsl:with-param name="name" select="'parameter'"/></xsl:call-template>
          <xsl:for-each select="$resources[reference[@field = 'info_id']/@uuid = $info/@uuid or ($first and not(reference[@field = 'info_id']/@uuid))]">
            <xsl:variable name="r" select="tm:fields(.)"/>
            <cap:resource>
              <cap:resourceDesc><xsl:value-of select="tm:value($r?resource_desc)"/></cap:resourceDesc>
              <cap:mimeType><xsl:value-of select="tm:value($r?mime_type)"/></cap:mimeType>
              <xsl:for-each select="tm:value($r?size)[. != '']"><cap:size><xsl:value-of select="."/></cap:size></xsl:for-each>
              <xsl:for-each select="tm:value($r?uri)[. != '']"><cap:uri><xsl:value-of select="."/></cap:uri></xsl:for-each>
              <xsl:for-each select="tm:value($r?deref_uri)[. != '']"><cap:derefUri><xsl:value-of select="."/></cap:derefUri></xsl:for-each>
              <xsl:for-each select="tm:value($r?digest)[. != '']"><cap:digest><xsl:value-of select="."/></cap:digest></xsl:for-each>
            </cap:resource>
          </xsl:for-each>
          <xsl:for-each select="$areas[reference[@field = 'info_id']/@uuid = $info/@uuid or ($first and not(reference[@field = 'info_id']/@uuid))]">
            <xsl:variable name="g" select="tm:fields(.)"/>
            <cap:area>
              <cap:areaDesc><xsl:value-of select="tm:value($g?name)"/></cap:areaDesc>
              <xsl:for-each select="tm:json(tm:value($g?polygon))"><cap:polygon><xsl:value-of select="."/></cap:polygon></xsl:for-each>
              <xsl:for-each select="tm:json(tm:value($g?circle))"><cap:circle><xsl:value-of select="."/></cap:circle></xsl:for-each>
              <xsl:call-template name="tm:pairs"><xsl:with-param name="items" select="tm:json(tm:value($g?geocode))"/><xsl:with-param name="name" select="'geocode'"/></xsl:call-template>
              <xsl:for-each select="tm:value($g?altitude)[. != '']"><cap:altitude><xsl:value-of select="."/></cap:altitude></xsl:for-each>
              <xsl:for-each select="tm:value($g?ceiling)[. != '']"><cap:ceiling><xsl:value-of select="."/></cap:ceiling></xsl:for-each>
            </cap:area>
          </xsl:for-each>
        </cap:info>
      </xsl:for-each>
    </cap:alert>
  </xsl:template>
</xsl:stylesheet>

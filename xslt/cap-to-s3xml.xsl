<?xml version="1.0" encoding="UTF-8"?>
<!--
  CAP 1.2 to S3XML: one cap_alert with its cap_info, cap_area and cap_resource components.

  Identity: an alert is its sender and identifier (CAP 1.2 section 3.2.1). The uuid is written as a
  placeholder "urn:tidemark:key:..." with tm_match naming those two fields; src/interchange/inbound.ts
  resolves it to the existing alert's uuid, else a name-based UUIDv5. Components are keyed under it
  by position, so a re-sent alert names the same rows.

  Update and Cancel: each alert named in <references> ("sender,identifier,sent" triples) is written
  as a tombstone; an Update's tombstones are replaced_by the new alert (a merge, so what referred
  to the old alert now refers to the new one). A referenced alert this instance never had is simply
  skipped by the importer.

  An eventCode named urn:tidemark:event_type_id (written by s3xml-to-cap.xsl) restores the event
  type reference instead of being kept as an event code.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tm="urn:tidemark:xslt"
    xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2"
    exclude-result-prefixes="#all">

  <xsl:output method="xml" indent="no" encoding="UTF-8"/>
  <xsl:strip-space elements="*"/>

  <xsl:variable name="EVENT-TYPE" select="'urn:tidemark:event_type_id'"/>

  <xsl:function name="tm:key" as="xs:string">
    <xsl:param name="sender" as="xs:string"/>
    <xsl:param name="identifier" as="xs:string"/>
    <xsl:sequence select="'urn:tidemark:key:cap:' || $sender || ',' || $identifier"/>
  </xsl:function>

  <xsl:function name="tm:match" as="xs:string">
    <xsl:param name="sender" as="xs:string"/>
    <xsl:param name="identifier" as="xs:string"/>
    <xsl:sequence select="serialize(map { 'sender': $sender, 'identifier': $identifier }, map { 'method': 'json' })"/>
  </xsl:function>

  <xsl:function name="tm:json-list" as="xs:string">
    <xsl:param name="items" as="xs:string*"/>
    <xsl:sequence select="serialize(array { $items }, map { 'method': 'json' })"/>
  </xsl:function>

  <xsl:function name="tm:json-pairs" as="xs:string">
    <xsl:param name="pairs" as="element()*"/>
    <xsl:sequence select="serialize(array { $pairs ! map { 'valueName': string(cap:valueName), 'value': string(cap:value) } }, map { 'method': 'json' })"/>
  </xsl:function>

  <xsl:template name="text">
    <xsl:param name="field" as="xs:string"/>
    <xsl:param name="e" as="element()*"/>
    <xsl:if test="exists($e) and string($e[1]) != ''"><data field="{$field}"><xsl:value-of select="$e[1]"/></data></xsl:if>
  </xsl:template>

  <xsl:template name="raw">
    <xsl:param name="field" as="xs:string"/>
    <xsl:param name="value" as="xs:string?"/>
    <xsl:if test="exists($value) and $value != ''"><data field="{$field}" value="{$value}"/></xsl:if>
  </xsl:template>

  <xsl:template match="/">
    <s3xml><xsl:apply-templates select="cap:alert"/></s3xml>
  </xsl:template>

  <xsl:template match="cap:alert">
    <xsl:variable name="sender" select="string(cap:sender)"/>
    <xsl:variable name="identifier" select="string(cap:identifier)"/>
    <xsl:variable name="key" select="tm:key($sender, $identifier)"/>
    <xsl:variable name="sent" select="string(cap:sent)"/>
    <resource name="cap_alert" uuid="{$key}" created_on="{$sent}" modified_on="{$sent}" tm_match="{tm:match($sender, $identifier)}">
      <data field="identifier"><xsl:value-of select="$identifier"/></data>
      <data field="sender"><xsl:value-of select="$sender"/></data>
      <data field="sent" value="{$sent}"/>
      <data field="status"><xsl:value-of select="cap:status"/></data>
      <data field="msg_type"><xsl:value-of select="cap:msgType"/></data>
      <xsl:call-template name="text"><xsl:with-param name="field" select="'source'"/><xsl:with-param name="e" select="cap:source"/></xsl:call-template>
      <data field="scope"><xsl:value-of select="cap:scope"/></data>
      <xsl:call-template name="text"><xsl:with-param name="field" select="'restriction'"/><xsl:with-param name="e" select="cap:restriction"/></xsl:call-template>
      <xsl:call-template name="text"><xsl:with-param name="field" select="'addresses'"/><xsl:with-param name="e" select="cap:addresses"/></xsl:call-template>
      <xsl:if test="cap:code"><data field="codes" value="{tm:json-list(cap:code ! string(.))}"/></xsl:if>
      <xsl:call-template name="text"><xsl:with-param name="field" select="'note'"/><xsl:with-param name="e" select="cap:note"/></xsl:call-template>
      <xsl:call-template name="text"><xsl:with-param name="field" select="'reference'"/><xsl:with-param name="e" select="cap:references"/></xsl:call-template>
      <xsl:call-template name="text"><xsl:with-param name="field" select="'incidents'"/><xsl:with-param name="e" select="cap:incidents"/></xsl:call-template>
      <xsl:for-each select="cap:info">
        <xsl:variable name="ikey" select="$key || ':info:' || position()"/>
        <resource name="cap_info" alias="info" uuid="{$ikey}" created_on="{$sent}" modified_on="{$sent}">
          <xsl:call-template name="text"><xsl:with-param name="field" select="'language'"/><xsl:with-param name="e" select="cap:language"/></xsl:call-template>
          <data field="category" value="{tm:json-list(cap:category ! string(.))}"/>
          <data field="event"><xsl:value-of select="cap:event"/></data>
          <xsl:if test="cap:eventCode[cap:valueName = $EVENT-TYPE]">
            <reference field="event_type_id" resource="event_event_type" uuid="{cap:eventCode[cap:valueName = $EVENT-TYPE][1]/cap:value}"/>
          </xsl:if>
          <xsl:if test="cap:responseType"><data field="response_type" value="{tm:json-list(cap:responseType ! string(.))}"/></xsl:if>
          <data field="urgency"><xsl:value-of select="cap:urgency"/></data>
          <data field="severity"><xsl:value-of select="cap:severity"/></data>
          <data field="certainty"><xsl:value-of select="cap:certainty"/></data>
          <xsl:call-template name="text"><xsl:with-param name="field" select="'audience'"/><xsl:with-param name="e" select="cap:audience"/></xsl:call-template>
          <xsl:if test="cap:eventCode[cap:valueName != $EVENT-TYPE]"><data field="event_code" value="{tm:json-pairs(cap:eventCode[cap:valueName != $EVENT-TYPE])}"/></xsl:if>
          <xsl:call-template name="raw"><xsl:with-param name="field" select="'effective'"/><xsl:with-param name="value" select="string(cap:effective)"/></xsl:call-template>
          <xsl:call-template name="raw"><xsl:with-param name="field" select="'onset'"/><xsl:with-param name="value" select="string(cap:onset)"/></xsl:call-template>
          <xsl:call-template name="raw"><xsl:with-param name="field" select="'expires'"/><xsl:with-param name="value" select="string(cap:expires)"/></xsl:call-template>
          <xsl:call-template name="text"><xsl:with-param name="field" select="'sender_name'"/><xsl:with-param name="e" select="cap:senderName"/></xsl:call-template>
          <xsl:call-template name="text"><xsl:with-param name="field" select="'headline'"/><xsl:with-param name="e" select="cap:headline"/></xsl:call-template>
          <xsl:call-template name="text"><xsl:with-param name="field" select="'description'"/><xsl:with-param name="e" select="cap:description"/></xsl:call-template>
          <xsl:call-template name="text"><xsl:with-param name="field" select="'instruction'"/><xsl:with-param name="e" select="cap:instruction"/></xsl:call-template>
          <xsl:call-template name="text"><xsl:with-param name="field" select="'web'"/><xsl:with-param name="e" select="cap:web"/></xsl:call-template>
          <xsl:call-template name="text"><xsl:with-param name="field" select="'contact'"/><xsl:with-param name="e" select="cap:contact"/></xsl:call-template>
          <xsl:if test="cap:parameter"><data field="parameter" value="{tm:json-pairs(cap:parameter)}"/></xsl:if>
        </resource>
      </xsl:for-each>
      <xsl:for-each select="cap:info">
        <xsl:variable name="ikey" select="$key || ':info:' || position()"/>
        <xsl:for-each select="cap:resource">
          <resource name="cap_resource" alias="resource" uuid="{$ikey || ':resource:' || position()}" created_on="{$sent}" modified_on="{$sent}">
            <reference field="info_id" resource="cap_info" uuid="{$ikey}"/>
            <data field="resource_desc"><xsl:value-of select="cap:resourceDesc"/></data>
            <data field="mime_type"><xsl:value-of select="cap:mimeType"/></data>
            <xsl:call-template name="raw"><xsl:with-param name="field" select="'size'"/><xsl:with-param name="value" select="string(cap:size)"/></xsl:call-template>
            <xsl:call-template name="text"><xsl:with-param name="field" select="'uri'"/><xsl:with-param name="e" select="cap:uri"/></xsl:call-template>
            <xsl:call-template name="text"><xsl:with-param name="field" select="'deref_uri'"/><xsl:with-param name="e" select="cap:derefUri"/></xsl:call-template>
            <xsl:call-template name="text"><xsl:with-param name="field" select="'digest'"/><xsl:with-param name="e" select="cap:digest"/></xsl:call-template>
          </resource>
        </xsl:for-each>
        <xsl:for-each select="cap:area">
          <resource name="cap_area" alias="area" uuid="{$ikey || ':area:' || position()}" created_on="{$sent}" modified_on="{$sent}">
            <reference field="info_id" resource="cap_info" uuid="{$ikey}"/>
            <data field="name"><xsl:value-of select="cap:areaDesc"/></data>
            <xsl:if test="cap:polygon"><data field="polygon" value="{tm:json-list(cap:polygon ! normalize-space(.))}"/></xsl:if>
            <xsl:if test="cap:circle"><data field="circle" value="{tm:json-list(cap:circle ! normalize-space(.))}"/></xsl:if>
            <xsl:if test="cap:geocode"><data field="geocode" value="{tm:json-pairs(cap:geocode)}"/></xsl:if>
            <xsl:call-template name="raw"><xsl:with-param name="field" select="'altitude'"/><xsl:with-param name="value" select="normalize-space(cap:altitude)"/></xsl:call-template>
            <xsl:call-template name="raw"><xsl:with-param name="field" select="'ceiling'"/><xsl:with-param name="value" select="normalize-space(cap:ceiling)"/></xsl:call-template>
          </resource>
        </xsl:for-each>
      </xsl:for-each>
    </resource>
    <xsl:variable name="update" select="cap:msgType = 'Update'"/>
    <xsl:if test="cap:msgType = ('Update', 'Cancel')">
      <xsl:for-each select="tokenize(normalize-space(cap:references), ' ')">
        <xsl:variable name="part" select="tokenize(., ',')"/>
        <xsl:if test="count($part) ge 2 and not($part[1] = $sender and $part[2] = $identifier)">
          <resource name="cap_alert" uuid="{tm:key($part[1], $part[2])}" tm_match="{tm:match($part[1], $part[2])}" deleted="True" modified_on="{$sent}">
            <xsl:if test="$update">
              <xsl:attribute name="replaced_by" select="$key"/>
            </xsl:if>
          </resource>
        </xsl:if>
      </xsl:for-each>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>

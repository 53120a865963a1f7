<?xml version="1.0" encoding="UTF-8"?>
<!--
  Atom feed of the current CAP 1.2 alerts (in the spirit of the OASIS "CAP feeds" note): one entry
  per alert that is not deleted, not itself a Cancel, not cancelled by a Cancel in the same feed,
  and not expired (an alert with no expiry time stays current). Each entry carries the whole alert
  as its content, so a client needs no second request.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tm="urn:tidemark:xslt"
    xmlns="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="xs tm">
  <xsl:include href="cap-common.xsl"/>
  <xsl:output method="xml" indent="no" encoding="UTF-8"/>
  <xsl:strip-space elements="*"/>

  <xsl:param name="now" as="xs:string" select="string(current-dateTime())"/>
  <xsl:param name="feed-url" as="xs:string" select="'urn:tidemark:feeds:cap-atom'"/>
  <xsl:param name="title" as="xs:string" select="'Current CAP alerts'"/>

  <xsl:function name="tm:utc" as="xs:string">
    <xsl:param name="iso" as="xs:string"/>
    <xsl:sequence select="string(adjust-dateTime-to-timezone(xs:dateTime($iso), xs:dayTimeDuration('PT0H')))"/>
  </xsl:function>

  <xsl:template match="/">
    <xsl:variable name="all" select="s3xml/resource[@name = 'cap_alert'][tm:live(.)]"/>
    <!-- "sender,identifier,sent" triples referenced by Cancel messages. -->
    <xsl:variable name="cancelled" select="for $c in $all[tm:v(., 'msg_type') = 'Cancel'] return
        for $t in tokenize(normalize-space(tm:v($c, 'reference')), ' ') return string-join(subsequence(tokenize($t, ','), 1, 2), ',')"/>
    <xsl:variable name="now-dt" select="xs:dateTime($now)"/>
    <xsl:variable name="current" select="$all[tm:v(., 'msg_type') != 'Cancel']
        [not(concat(tm:v(., 'sender'), ',', tm:v(., 'identifier')) = $cancelled)]
        [let $ex := resource[@name = 'cap_info'][tm:live(.)]/data[@field = 'expires'] ! xs:dateTime(string((@value, .)[1]))
         return empty($ex) or max($ex) gt $now-dt]"/>
    <feed>
      <id><xsl:value-of select="$feed-url"/></id>
      <title><xsl:value-of select="$title"/></title>
      <updated>
        <xsl:value-of select="if (empty($current)) then tm:utc($now)
                              else tm:utc(string(max($current/xs:dateTime(string((@modified_on, @created_on)[1]))))) "/>
      </updated>
      <link rel="self" href="{$feed-url}"/>
      <xsl:for-each select="$current">
        <!-- The keys are date-times, which no collation orders; naming one spares the "en" collator
             SaxonJS would otherwise create for the sort (~10 ms in a fresh process). -->
        <xsl:sort select="xs:dateTime(string((data[@field = 'sent']/(@value, .)[1], @created_on)[1]))" order="descending"
                  collation="http://www.w3.org/2005/xpath-functions/collation/codepoint"/>
        <xsl:variable name="info" select="resource[@name = 'cap_info'][tm:live(.)][1]"/>
        <entry>
          <id><xsl:value-of select="@uuid"/></id>
          <title><xsl:value-of select="(tm:v($info, 'headline')[. != ''], tm:v($info, 'event'), tm:v(., 'identifier'))[1]"/></title>
          <updated><xsl:value-of select="tm:utc(string((@modified_on, @created_on)[1]))"/></updated>
          <author><name><xsl:value-of select="(tm:v($info, 'sender_name')[. != ''], tm:v(., 'sender'))[1]"/></name></author>
          <xsl:if test="tm:v($info, 'description') != ''">
            <summary><xsl:value-of select="tm:v($info, 'description')"/></summary>
          </xsl:if>
          <content type="application/cap+xml"><xsl:apply-templates select="." mode="cap"/></content>
        </entry>
      </xsl:for-each>
    </feed>
  </xsl:template>
</xsl:stylesheet>

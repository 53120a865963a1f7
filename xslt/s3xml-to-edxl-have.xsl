<?xml version="1.0" encoding="UTF-8"?>
<!--
  S3XML (med_hospital with its components) to EDXL-HAVE 1.0: one HospitalStatus, one Hospital per
  live med_hospital record.

  Written with XSLT 1.0 instructions only (version 3.0 is declared for SaxonJS; libxslt runs it in
  forwards-compatible mode), so that the benchmark can run the very same mapping in xsltproc.
  Lookups go through keys, never '//' searches.

  Beyond Sahana Eden's have/export.xsl this writes: the contacts (Eden's select never matches),
  CapacityStatus from the record (Eden hard-codes VacantAvailable) inside Capacity where the schema
  wants it, AdditionalCapacityCount24Hr, the ED status, EMS reason, clinical/facility/security
  status, the 24-hour activity, staffing and operations, and LastUpdateTime with its zone (the
  latest change to the hospital or any of its components). Values HAVE has no element for travel
  as "Key: value" CommentText lines, which edxl-have-to-s3xml.xsl reads back.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:have="urn:oasis:names:tc:emergency:EDXL:HAVE:1.0"
    xmlns:xnl="urn:oasis:names:tc:ciq:xnl:3"
    xmlns:xal="urn:oasis:names:tc:ciq:xal:3"
    xmlns:xpil="urn:oasis:names:tc:ciq:xpil:3"
    xmlns:gml="http://www.opengis.net/gml"
    exclude-result-prefixes="xsl">

  <xsl:output method="xml" indent="no" encoding="UTF-8"/>
  <xsl:strip-space elements="*"/>

  <xsl:key name="resource" match="resource[@uuid]" use="@uuid"/>

  <xsl:template match="/">
    <have:HospitalStatus>
      <xsl:apply-templates select="s3xml/resource[@name='med_hospital'][not(@deleted='True' or @deleted='true')]"/>
    </have:HospitalStatus>
  </xsl:template>

  <xsl:template name="comment">
    <xsl:param name="key"/>
    <xsl:param name="value"/>
    <xsl:if test="string($value) != ''">
      <have:CommentText><xsl:value-of select="concat($key, ': ', $value)"/></have:CommentText>
    </xsl:if>
  </xsl:template>

  <xsl:template match="resource[@name='med_hospital']">
    <xsl:variable name="status" select="resource[@name='med_hospital_status'][not(@deleted='True' or @deleted='true')][1]"/>
    <xsl:variable name="services" select="resource[@name='med_hospital_service'][not(@deleted='True' or @deleted='true')][1]"/>
    <xsl:variable name="beds" select="resource[@name='med_bed_capacity'][not(@deleted='True' or @deleted='true')]"/>
    <xsl:variable name="activity" select="resource[@name='med_hospital_activity'][not(@deleted='True' or @deleted='true')]"/>
    <have:Hospital>
      <xsl:call-template name="organization"/>
      <xsl:if test="$status">
        <xsl:apply-templates select="$status" mode="ed"/>
      </xsl:if>
      <xsl:if test="$beds">
        <have:HospitalBedCapacityStatus>
          <xsl:apply-templates select="$beds"/>
        </have:HospitalBedCapacityStatus>
      </xsl:if>
      <xsl:if test="$services">
        <xsl:apply-templates select="$services"/>
      </xsl:if>
      <xsl:if test="$status or $activity">
        <xsl:call-template name="facility">
          <xsl:with-param name="status" select="$status"/>
          <xsl:with-param name="activity" select="$activity"/>
        </xsl:call-template>
      </xsl:if>
      <xsl:call-template name="resources">
        <xsl:with-param name="status" select="$status"/>
      </xsl:call-template>
      <!-- The latest of the hospital's and its components' modified_on (compared as yyyymmddhhmmss
           numbers: XPath 1.0 has no string ordering, and sorting per hospital is slow). -->
      <xsl:variable name="times" select="@modified_on | resource/@modified_on"/>
      <have:LastUpdateTime>
        <xsl:for-each select="$times">
          <xsl:variable name="t" select="translate(substring(., 1, 19), '-:T', '')"/>
          <!-- the latest; of several equal ones, the first -->
          <xsl:if test="not($times[translate(substring(., 1, 19), '-:T', '') &gt; $t]) and count(. | $times[translate(substring(., 1, 19), '-:T', '') = $t][1]) = 1">
            <xsl:value-of select="."/>
          </xsl:if>
        </xsl:for-each>
      </have:LastUpdateTime>
    </have:Hospital>
  </xsl:template>

  <xsl:template name="organization">
    <xsl:variable name="gov" select="concat(data[@field='gov_uuid']/@value, data[@field='gov_uuid'][not(@value)])"/>
    <xsl:variable name="locref" select="reference[@field='location_id'][1]"/>
    <xsl:variable name="loc" select="key('resource', $locref/@uuid)[@name='gis_location']"/>
    <xsl:variable name="street" select="concat($loc/data[@field='addr_street']/@value, $loc/data[@field='addr_street'][not(@value)])"/>
    <xsl:variable name="postcode" select="concat($loc/data[@field='addr_postcode']/@value, $loc/data[@field='addr_postcode'][not(@value)])"/>
    <xsl:variable name="lat">
      <xsl:choose>
        <xsl:when test="$locref/@lat"><xsl:value-of select="$locref/@lat"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="concat($loc/data[@field='lat']/@value, $loc/data[@field='lat'][not(@value)])"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="lon">
      <xsl:choose>
        <xsl:when test="$locref/@lon"><xsl:value-of select="$locref/@lon"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="concat($loc/data[@field='lon']/@value, $loc/data[@field='lon'][not(@value)])"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <have:Organization>
      <have:OrganizationInformation>
        <xnl:OrganisationName>
          <xsl:choose>
            <xsl:when test="$gov != ''">
              <xsl:attribute name="xnl:OrganisationID"><xsl:value-of select="$gov"/></xsl:attribute>
              <xsl:attribute name="xnl:OrganisationIDType">GovernmentID</xsl:attribute>
            </xsl:when>
            <xsl:otherwise>
              <xsl:attribute name="xnl:OrganisationID"><xsl:value-of select="@uuid"/></xsl:attribute>
              <xsl:attribute name="xnl:OrganisationIDType">urn:uuid</xsl:attribute>
            </xsl:otherwise>
          </xsl:choose>
          <xnl:NameElement><xsl:value-of select="data[@field='name']"/></xnl:NameElement>
        </xnl:OrganisationName>
        <xsl:if test="$street != '' or $postcode != ''">
          <xpil:Addresses>
            <xpil:Address>
              <xsl:if test="$street != ''">
                <xal:FreeTextAddress><xal:AddressLine><xsl:value-of select="$street"/></xal:AddressLine></xal:FreeTextAddress>
              </xsl:if>
              <xsl:if test="$loc/data[@field='name'] != ''">
                <xal:Locality><xal:NameElement><xsl:value-of select="$loc/data[@field='name']"/></xal:NameElement></xal:Locality>
              </xsl:if>
              <xsl:if test="$postcode != ''">
                <xal:PostCode><xal:Identifier><xsl:value-of select="$postcode"/></xal:Identifier></xal:PostCode>
              </xsl:if>
            </xpil:Address>
          </xpil:Addresses>
        </xsl:if>
        <xsl:if test="data[@field='phone_exchange'] != '' or data[@field='phone_business'] != '' or data[@field='phone_emergency'] != '' or data[@field='fax'] != ''">
          <xpil:ContactNumbers>
            <xsl:call-template name="phone"><xsl:with-param name="f" select="'phone_exchange'"/><xsl:with-param name="usage" select="'Exchange'"/><xsl:with-param name="media" select="'Telephone'"/></xsl:call-template>
            <xsl:call-template name="phone"><xsl:with-param name="f" select="'phone_business'"/><xsl:with-param name="usage" select="'Business'"/><xsl:with-param name="media" select="'Telephone'"/></xsl:call-template>
            <xsl:call-template name="phone"><xsl:with-param name="f" select="'phone_emergency'"/><xsl:with-param name="usage" select="'Emergency'"/><xsl:with-param name="media" select="'Telephone'"/></xsl:call-template>
            <xsl:call-template name="phone"><xsl:with-param name="f" select="'fax'"/><xsl:with-param name="usage" select="'Fax'"/><xsl:with-param name="media" select="'Fax'"/></xsl:call-template>
          </xpil:ContactNumbers>
        </xsl:if>
        <xsl:if test="data[@field='email'] != '' or data[@field='website'] != ''">
          <xpil:ElectronicAddressIdentifiers>
            <xsl:if test="data[@field='email'] != ''">
              <xpil:ElectronicAddressIdentifier xpil:Type="EMAIL"><xsl:value-of select="data[@field='email']"/></xpil:ElectronicAddressIdentifier>
            </xsl:if>
            <xsl:if test="data[@field='website'] != ''">
              <xpil:ElectronicAddressIdentifier xpil:Type="URL"><xsl:value-of select="data[@field='website']"/></xpil:ElectronicAddressIdentifier>
            </xsl:if>
          </xpil:ElectronicAddressIdentifiers>
        </xsl:if>
      </have:OrganizationInformation>
      <xsl:if test="$lat != '' and $lon != ''">
        <have:OrganizationGeoLocation>
          <gml:Point>
            <gml:pos><xsl:value-of select="concat($lat, ' ', $lon)"/></gml:pos>
          </gml:Point>
        </have:OrganizationGeoLocation>
      </xsl:if>
      <xsl:if test="data[@field='comments'] != ''">
        <have:CommentText><xsl:value-of select="data[@field='comments']"/></have:CommentText>
      </xsl:if>
      <xsl:call-template name="comment"><xsl:with-param name="key" select="'Code'"/><xsl:with-param name="value" select="data[@field='code']"/></xsl:call-template>
      <xsl:call-template name="comment"><xsl:with-param name="key" select="'FacilityType'"/><xsl:with-param name="value" select="translate(data[@field='facility_type']/@value | data[@field='facility_type'][not(@value)], '&quot;', '')"/></xsl:call-template>
      <xsl:call-template name="comment"><xsl:with-param name="key" select="'Contact'"/><xsl:with-param name="value" select="data[@field='contact_name']"/></xsl:call-template>
      <xsl:if test="data[@field='obsolete']/@value = 'true'">
        <have:CommentText>Obsolete: true</have:CommentText>
      </xsl:if>
    </have:Organization>
  </xsl:template>

  <xsl:template name="phone">
    <xsl:param name="f"/>
    <xsl:param name="usage"/>
    <xsl:param name="media"/>
    <xsl:if test="data[@field=$f] != ''">
      <xpil:ContactNumber xpil:CommunicationMediaType="{$media}" xpil:Usage="{$usage}">
        <xpil:ContactNumberElement><xsl:value-of select="data[@field=$f]"/></xpil:ContactNumberElement>
      </xpil:ContactNumber>
    </xsl:if>
  </xsl:template>

  <!-- Emergency department: EMS traffic and, as comments, the ED's own status. -->
  <xsl:template match="resource" mode="ed">
    <xsl:variable name="ems" select="translate(concat(data[@field='ems_status']/@value, data[@field='ems_status'][not(@value)]), '&quot;', '')"/>
    <xsl:variable name="er" select="translate(concat(data[@field='er_status']/@value, data[@field='er_status'][not(@value)]), '&quot;', '')"/>
    <xsl:if test="$ems != '' or data[@field='ems_reason'] != '' or $er != '' or data[@field='er_reason'] != ''">
      <have:EmergencyDepartmentStatus>
        <xsl:if test="$ems != '' or data[@field='ems_reason'] != ''">
          <have:EMSTraffic>
            <xsl:if test="$ems != ''"><have:EMSTrafficStatus><xsl:value-of select="$ems"/></have:EMSTrafficStatus></xsl:if>
            <xsl:if test="data[@field='ems_reason'] != ''"><have:EMSTrafficReason><xsl:value-of select="data[@field='ems_reason']"/></have:EMSTrafficReason></xsl:if>
          </have:EMSTraffic>
        </xsl:if>
        <xsl:call-template name="comment"><xsl:with-param name="key" select="'EmergencyDepartmentStatus'"/><xsl:with-param name="value" select="$er"/></xsl:call-template>
        <xsl:call-template name="comment"><xsl:with-param name="key" select="'EmergencyDepartmentReason'"/><xsl:with-param name="value" select="data[@field='er_reason']"/></xsl:call-template>
      </have:EmergencyDepartmentStatus>
    </xsl:if>
  </xsl:template>

  <xsl:template match="resource[@name='med_bed_capacity']">
    <xsl:variable name="code"><xsl:call-template name="bed-type"><xsl:with-param name="uuid" select="reference[@field='bed_type_id']/@uuid"/></xsl:call-template></xsl:variable>
    <xsl:variable name="cs" select="translate(concat(data[@field='capacity_status']/@value, data[@field='capacity_status'][not(@value)]), '&quot;', '')"/>
    <xsl:variable name="avail" select="concat(data[@field='beds_available']/@value, data[@field='beds_available'][not(@value)])"/>
    <xsl:variable name="base" select="concat(data[@field='beds_baseline']/@value, data[@field='beds_baseline'][not(@value)])"/>
    <xsl:variable name="add24" select="concat(data[@field='beds_add24']/@value, data[@field='beds_add24'][not(@value)])"/>
    <have:BedCapacity>
      <xsl:if test="$code != ''"><have:BedType><xsl:value-of select="$code"/></have:BedType></xsl:if>
      <xsl:if test="data[@field='unit_name'] != ''"><have:SubCategoryBedType><xsl:value-of select="data[@field='unit_name']"/></have:SubCategoryBedType></xsl:if>
      <have:Capacity>
        <xsl:choose>
          <xsl:when test="$cs = 'VacantAvailable'"><have:CapacityStatus>Vacant/Available</have:CapacityStatus></xsl:when>
          <xsl:when test="$cs = 'NotAvailable'"><have:CapacityStatus>NotAvailable</have:CapacityStatus></xsl:when>
        </xsl:choose>
        <xsl:if test="$avail != ''"><have:AvailableCount><xsl:value-of select="$avail"/></have:AvailableCount></xsl:if>
        <xsl:if test="$base != ''"><have:BaselineCount><xsl:value-of select="$base"/></have:BaselineCount></xsl:if>
        <xsl:if test="$add24 != ''"><have:AdditionalCapacityCount24Hr><xsl:value-of select="$add24"/></have:AdditionalCapacityCount24Hr></xsl:if>
      </have:Capacity>
      <xsl:if test="data[@field='comments'] != ''"><have:CommentText><xsl:value-of select="data[@field='comments']"/></have:CommentText></xsl:if>
      <xsl:if test="$cs = 'NotApplicable'"><have:CommentText>CapacityStatus: NotApplicable</have:CommentText></xsl:if>
      <xsl:call-template name="comment"><xsl:with-param name="key" select="'Date'"/><xsl:with-param name="value" select="data[@field='date']/@value | data[@field='date'][not(@value)]"/></xsl:call-template>
    </have:BedCapacity>
  </xsl:template>

  <!-- med_bed_type reference data: fixed uuid to HAVE bed type code. -->
  <xsl:template name="bed-type">
    <xsl:param name="uuid"/>
    <xsl:choose>
      <xsl:when test="$uuid = 'urn:uuid:c2c82319-1662-5ec7-bb04-c0d9e7ca6cd8'">AdultICU</xsl:when>
      <xsl:when test="$uuid = 'urn:uuid:aeb6f2d3-8d44-5972-a102-17165935c2ca'">PediatricICU</xsl:when>
      <xsl:when test="$uuid = 'urn:uuid:b7c15560-a465-5207-a310-c2a69cc42b08'">NeonatalICU</xsl:when>
      <xsl:when test="$uuid = 'urn:uuid:d812a221-4d1e-5b18-902b-2cc6264aebc2'">EmergencyDepartment</xsl:when>
      <xsl:when test="$uuid = 'urn:uuid:696ec1c9-9c0a-52fd-bb8b-3f47f67da871'">NurseryBeds</xsl:when>
      <xsl:when test="$uuid = 'urn:uuid:a2fb0866-dfa2-5300-b377-309b65378ee0'">MedicalSurgical</xsl:when>
      <xsl:when test="$uuid = 'urn:uuid:1e6c5c9a-881b-5a1e-a0b3-acdce2ea0f12'">RehabLongTermCare</xsl:when>
      <xsl:when test="$uuid = 'urn:uuid:ef1cd00e-28d2-54fa-ab35-1e970c9dc688'">Burn</xsl:when>
      <xsl:when test="$uuid = 'urn:uuid:1261a937-4ff8-5103-8d7b-01dca6e90f31'">Pediatrics</xsl:when>
      <xsl:when test="$uuid = 'urn:uuid:2f83a1c1-a840-5330-8432-198d191ab88a'">AdultPsychiatric</xsl:when>
      <xsl:when test="$uuid = 'urn:uuid:f228be35-1a30-5803-b00d-1545ee6d84df'">PediatricPsychiatric</xsl:when>
      <xsl:when test="$uuid = 'urn:uuid:5e24eed6-00be-5c39-8452-c4113ca1ba7b'">NegativeFlowIsolation</xsl:when>
      <xsl:when test="$uuid = 'urn:uuid:6fc66bee-66aa-58b3-9be6-5588a6b36f43'">OtherIsolation</xsl:when>
      <xsl:when test="$uuid = 'urn:uuid:535b9de4-058b-5f0d-8e96-9a628fcdcaa1'">OperatingRooms</xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="bool">
    <xsl:param name="f"/>
    <xsl:value-of select="data[@field=$f]/@value"/>
  </xsl:template>

  <xsl:template match="resource[@name='med_hospital_service']">
    <have:ServiceCoverageStatus>
      <xsl:if test="data[@field='burn']/@value"><have:Burn><xsl:value-of select="data[@field='burn']/@value"/></have:Burn></xsl:if>
      <xsl:if test="data[@field='card']/@value"><have:CardiologyIndicator><have:Cardiology><xsl:value-of select="data[@field='card']/@value"/></have:Cardiology></have:CardiologyIndicator></xsl:if>
      <xsl:if test="data[@field='dial']/@value"><have:Dialysis><xsl:value-of select="data[@field='dial']/@value"/></have:Dialysis></xsl:if>
      <xsl:if test="data[@field='infd']/@value"><have:InfectiousDisease><xsl:value-of select="data[@field='infd']/@value"/></have:InfectiousDisease></xsl:if>
      <xsl:if test="data[@field='neon']/@value"><have:Neonatology><xsl:value-of select="data[@field='neon']/@value"/></have:Neonatology></xsl:if>
      <xsl:if test="data[@field='neur']/@value"><have:NeurologyIndicator><have:Neurology><xsl:value-of select="data[@field='neur']/@value"/></have:Neurology></have:NeurologyIndicator></xsl:if>
      <xsl:if test="data[@field='obgy']/@value"><have:OBGYNIndicator><have:OBGYN><xsl:value-of select="data[@field='obgy']/@value"/></have:OBGYN></have:OBGYNIndicator></xsl:if>
      <xsl:if test="data[@field='pedi']/@value"><have:Pediatrics><xsl:value-of select="data[@field='pedi']/@value"/></have:Pediatrics></xsl:if>
      <xsl:if test="data[@field='psya']/@value"><have:PsychiatricIndicator><have:Psychiatric><xsl:value-of select="data[@field='psya']/@value"/></have:Psychiatric></have:PsychiatricIndicator></xsl:if>
      <xsl:if test="data[@field='surg']/@value"><have:SurgeryIndicator><have:Surgery><xsl:value-of select="data[@field='surg']/@value"/></have:Surgery></have:SurgeryIndicator></xsl:if>
      <xsl:if test="data[@field='tran']/@value or data[@field='tair']/@value">
        <have:TransportServicesIndicator>
          <have:TransportServicesSubType>
            <xsl:if test="data[@field='tran']/@value"><have:AmbulanceServices><xsl:value-of select="data[@field='tran']/@value"/></have:AmbulanceServices></xsl:if>
            <xsl:if test="data[@field='tair']/@value"><have:AirTransportServices><xsl:value-of select="data[@field='tair']/@value"/></have:AirTransportServices></xsl:if>
          </have:TransportServicesSubType>
        </have:TransportServicesIndicator>
      </xsl:if>
      <xsl:if test="data[@field='trauma']/@value"><have:TraumaCenterServicesIndicator><have:TraumaCenterServices><xsl:value-of select="data[@field='trauma']/@value"/></have:TraumaCenterServices></have:TraumaCenterServicesIndicator></xsl:if>
      <xsl:call-template name="comment"><xsl:with-param name="key" select="'Laboratory'"/><xsl:with-param name="value" select="data[@field='labs']/@value"/></xsl:call-template>
    </have:ServiceCoverageStatus>
  </xsl:template>

  <xsl:template name="facility">
    <xsl:param name="status"/>
    <xsl:param name="activity"/>
    <xsl:variable name="clinical" select="translate(concat($status/data[@field='clinical_status']/@value, $status/data[@field='clinical_status'][not(@value)]), '&quot;', '')"/>
    <xsl:variable name="morgue" select="translate(concat($status/data[@field='morgue_status']/@value, $status/data[@field='morgue_status'][not(@value)]), '&quot;', '')"/>
    <xsl:variable name="units" select="concat($status/data[@field='morgue_units']/@value, $status/data[@field='morgue_units'][not(@value)])"/>
    <xsl:variable name="facility" select="translate(concat($status/data[@field='facility_status']/@value, $status/data[@field='facility_status'][not(@value)]), '&quot;', '')"/>
    <xsl:variable name="security" select="translate(concat($status/data[@field='security_status']/@value, $status/data[@field='security_status'][not(@value)]), '&quot;', '')"/>
    <have:HospitalFacilityStatus>
      <xsl:if test="$clinical = 'Normal' or $clinical = 'Full'"><have:ClinicalStatus><xsl:value-of select="$clinical"/></have:ClinicalStatus></xsl:if>
      <xsl:if test="($morgue != '' and $morgue != 'Unknown') or $units != ''">
        <have:MorgueCapacity>
          <xsl:if test="$morgue != '' and $morgue != 'Unknown'"><have:MorgueCapacityStatus><xsl:value-of select="$morgue"/></have:MorgueCapacityStatus></xsl:if>
          <xsl:if test="$units != ''"><have:MorgueCapacityUnits><xsl:value-of select="$units"/></have:MorgueCapacityUnits></xsl:if>
        </have:MorgueCapacity>
      </xsl:if>
      <xsl:if test="$facility != '' and $facility != 'Unknown'"><have:FacilityStatus><xsl:value-of select="$facility"/></have:FacilityStatus></xsl:if>
      <xsl:if test="$security != '' and $security != 'Unknown'"><have:SecurityStatus><xsl:value-of select="$security"/></have:SecurityStatus></xsl:if>
      <xsl:for-each select="$activity">
        <xsl:sort select="data[@field='date']/@value | data[@field='date'][not(@value)]" order="descending"/>
        <xsl:if test="position() = 1">
          <have:Activity24Hr>
            <xsl:if test="data[@field='admissions24']"><have:Admissions><xsl:value-of select="concat(data[@field='admissions24']/@value, data[@field='admissions24'][not(@value)])"/></have:Admissions></xsl:if>
            <xsl:if test="data[@field='discharges24']"><have:Discharges><xsl:value-of select="concat(data[@field='discharges24']/@value, data[@field='discharges24'][not(@value)])"/></have:Discharges></xsl:if>
            <xsl:if test="data[@field='deaths24']"><have:Deaths><xsl:value-of select="concat(data[@field='deaths24']/@value, data[@field='deaths24'][not(@value)])"/></have:Deaths></xsl:if>
          </have:Activity24Hr>
        </xsl:if>
      </xsl:for-each>
      <xsl:if test="$status/data[@field='comments'] != ''"><have:CommentText><xsl:value-of select="$status/data[@field='comments']"/></have:CommentText></xsl:if>
      <xsl:if test="$clinical != '' and $clinical != 'Normal' and $clinical != 'Full'">
        <have:CommentText><xsl:value-of select="concat('ClinicalStatus: ', $clinical)"/></have:CommentText>
      </xsl:if>
      <xsl:if test="$facility = 'Unknown'"><have:CommentText>FacilityStatus: Unknown</have:CommentText></xsl:if>
      <xsl:if test="$security = 'Unknown'"><have:CommentText>SecurityStatus: Unknown</have:CommentText></xsl:if>
      <xsl:if test="$morgue = 'Unknown'"><have:CommentText>MorgueStatus: Unknown</have:CommentText></xsl:if>
      <xsl:call-template name="comment"><xsl:with-param name="key" select="'PowerSupply'"/><xsl:with-param name="value" select="$status/data[@field='power_supply_type']"/></xsl:call-template>
      <xsl:for-each select="$activity">
        <xsl:sort select="data[@field='date']/@value | data[@field='date'][not(@value)]" order="descending"/>
        <xsl:if test="position() = 1">
          <xsl:call-template name="comment"><xsl:with-param name="key" select="'ActivityDate'"/><xsl:with-param name="value" select="data[@field='date']/@value | data[@field='date'][not(@value)]"/></xsl:call-template>
          <xsl:call-template name="comment"><xsl:with-param name="key" select="'Patients'"/><xsl:with-param name="value" select="data[@field='patients']/@value | data[@field='patients'][not(@value)]"/></xsl:call-template>
          <xsl:call-template name="comment"><xsl:with-param name="key" select="'ActivityComments'"/><xsl:with-param name="value" select="data[@field='comments']"/></xsl:call-template>
        </xsl:if>
      </xsl:for-each>
    </have:HospitalFacilityStatus>
  </xsl:template>

  <!-- Tidemark's activity scale (Normal / Inadequate / Unavailable / Unknown) on HAVE's two values. -->
  <xsl:template name="adequacy">
    <xsl:param name="value"/>
    <xsl:choose>
      <xsl:when test="$value = 'Normal'">Adequate</xsl:when>
      <xsl:when test="$value = 'Inadequate' or $value = 'Unavailable'">Insufficient</xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="resources">
    <xsl:param name="status"/>
    <xsl:variable name="staffing" select="translate(concat($status/data[@field='staffing_status']/@value, $status/data[@field='staffing_status'][not(@value)]), '&quot;', '')"/>
    <xsl:variable name="fops" select="translate(concat($status/data[@field='facility_operations']/@value, $status/data[@field='facility_operations'][not(@value)]), '&quot;', '')"/>
    <xsl:variable name="cops" select="translate(concat($status/data[@field='clinical_operations']/@value, $status/data[@field='clinical_operations'][not(@value)]), '&quot;', '')"/>
    <xsl:variable name="s"><xsl:call-template name="adequacy"><xsl:with-param name="value" select="$staffing"/></xsl:call-template></xsl:variable>
    <xsl:variable name="f"><xsl:call-template name="adequacy"><xsl:with-param name="value" select="$fops"/></xsl:call-template></xsl:variable>
    <xsl:variable name="c"><xsl:call-template name="adequacy"><xsl:with-param name="value" select="$cops"/></xsl:call-template></xsl:variable>
    <xsl:variable name="counts" select="data[@field='doctors' or @field='nurses' or @field='non_medical_staff' or @field='total_beds' or @field='available_beds']"/>
    <xsl:if test="$s != '' or $f != '' or $c != '' or $counts or $status/data[@field='staffing_comments'] != '' or $staffing != '' or $fops != '' or $cops != ''">
      <have:HospitalResourcesStatus>
        <xsl:if test="$s != ''"><have:Staffing><xsl:value-of select="$s"/></have:Staffing></xsl:if>
        <xsl:if test="$f != ''"><have:FacilityOperations><xsl:value-of select="$f"/></have:FacilityOperations></xsl:if>
        <xsl:if test="$c != ''"><have:ClinicalOperations><xsl:value-of select="$c"/></have:ClinicalOperations></xsl:if>
        <xsl:for-each select="$counts">
          <have:ResourcesInformationText>
            <xsl:choose>
              <xsl:when test="@field='doctors'">Doctors</xsl:when>
              <xsl:when test="@field='nurses'">Nurses</xsl:when>
              <xsl:when test="@field='non_medical_staff'">NonMedicalStaff</xsl:when>
              <xsl:when test="@field='total_beds'">TotalBeds</xsl:when>
              <xsl:otherwise>AvailableBeds</xsl:otherwise>
            </xsl:choose>
            <xsl:value-of select="concat(': ', @value | self::*[not(@value)])"/>
          </have:ResourcesInformationText>
        </xsl:for-each>
        <xsl:if test="$status/data[@field='staffing_comments'] != ''"><have:CommentText><xsl:value-of select="$status/data[@field='staffing_comments']"/></have:CommentText></xsl:if>
        <!-- The exact Tidemark value where HAVE's scale loses it (Inadequate vs Unavailable, Unknown). -->
        <xsl:call-template name="comment"><xsl:with-param name="key" select="'StaffingStatus'"/><xsl:with-param name="value" select="$staffing"/></xsl:call-template>
        <xsl:call-template name="comment"><xsl:with-param name="key" select="'FacilityOperations'"/><xsl:with-param name="value" select="$fops"/></xsl:call-template>
        <xsl:call-template name="comment"><xsl:with-param name="key" select="'ClinicalOperations'"/><xsl:with-param name="value" select="$cops"/></xsl:call-template>
      </have:HospitalResourcesStatus>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>

<?xml version="1.0" encoding="UTF-8"?>
<!--
  S3XML (med_hospital with its components) to EDXL-HAVE 1.0: one HospitalStatus, one Hospital per
  live med_hospital record.

  Written with XSLT 1.0 instructions only (version 3.0 is declared for SaxonJS; libxslt runs it in
  forwards-compatible mode), so that the benchmark can run the very same mapping in xsltproc.
  Lookups go through keys, never '//' searches. Written for SaxonJS's costs (docs/formats.md): a
  template takes its record's data children once ($d: a child step tests the name of every child,
  every time) and looks each field up once (a look-up compares every data child's field name);
  "Key: value" comments are written in place (a named template's parameters cost a map per call);
  below the root element, literal result elements exclude the namespaces the root declares
  (xsl:exclude-result-prefixes), which spares copying five namespace nodes onto every element
  written. The output is the same.

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

  <!-- Only locations: SaxonJS indexes every node a key matches (a costly insert per node). -->
  <xsl:key name="location" match="resource[@name='gis_location'][@uuid]" use="@uuid"/>

  <xsl:template match="/">
    <have:HospitalStatus>
      <xsl:apply-templates select="s3xml/resource[@name='med_hospital'][not(@deleted='True' or @deleted='true')]"/>
    </have:HospitalStatus>
  </xsl:template>

  <xsl:template match="resource[@name='med_hospital']">
    <xsl:variable name="parts" select="resource"/>
    <xsl:variable name="status" select="$parts[@name='med_hospital_status'][not(@deleted='True' or @deleted='true')][1]"/>
    <xsl:variable name="services" select="$parts[@name='med_hospital_services'][not(@deleted='True' or @deleted='true')][1]"/>
    <xsl:variable name="beds" select="$parts[@name='med_bed_capacity'][not(@deleted='True' or @deleted='true')]"/>
    <xsl:variable name="activity" select="$parts[@name='med_hospital_activity'][not(@deleted='True' or @deleted='true')]"/>
    <have:Hospital xsl:exclude-result-prefixes="have xnl xal xpil gml">
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
      <!-- The latest of the hospital's and its components' modified_on, compared as yyyymmddhhmmss
           strings by code point; of several equal ones the first (the sort is stable). The
           collation is named: without it SaxonJS sorts by an "en" collator, which costs ~10 ms
           to create in a fresh process. -->
      <have:LastUpdateTime>
        <xsl:for-each select="@modified_on | $parts/@modified_on">
          <xsl:sort select="translate(substring(., 1, 19), '-:T', '')" order="descending" collation="http://www.w3.org/2005/xpath-functions/collation/codepoint"/>
          <xsl:if test="position() = 1"><xsl:value-of select="."/></xsl:if>
        </xsl:for-each>
      </have:LastUpdateTime>
    </have:Hospital>
  </xsl:template>

  <xsl:template name="organization">
    <xsl:variable name="d" select="data"/>
    <!-- Eden's gov_uuid site tag (Tidemark's med_hospital.gov_uuid). -->
    <xsl:variable name="gov" select="normalize-space(resource[@name='org_site_tag'][data[@field='tag'] = 'gov_uuid'][1]/data[@field='value'])"/>
    <xsl:variable name="locref" select="reference[@field='location_id'][1]"/>
    <xsl:variable name="loc" select="key('location', $locref/@uuid)"/>
    <xsl:variable name="ld" select="$loc/data"/>
    <xsl:variable name="loc-street" select="$ld[@field='addr_street']"/>
    <xsl:variable name="loc-postcode" select="$ld[@field='addr_postcode']"/>
    <xsl:variable name="loc-name" select="$ld[@field='name']"/>
    <xsl:variable name="street" select="concat($loc-street/@value, $loc-street[not(@value)])"/>
    <xsl:variable name="postcode" select="concat($loc-postcode/@value, $loc-postcode[not(@value)])"/>
    <xsl:variable name="lat">
      <xsl:choose>
        <xsl:when test="$locref/@lat"><xsl:value-of select="$locref/@lat"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="concat($ld[@field='lat']/@value, $ld[@field='lat'][not(@value)])"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="lon">
      <xsl:choose>
        <xsl:when test="$locref/@lon"><xsl:value-of select="$locref/@lon"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="concat($ld[@field='lon']/@value, $ld[@field='lon'][not(@value)])"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="exchange" select="$d[@field='phone_exchange']"/>
    <xsl:variable name="business" select="$d[@field='phone_business']"/>
    <xsl:variable name="emergency" select="$d[@field='phone_emergency']"/>
    <xsl:variable name="fax" select="$d[@field='fax']"/>
    <xsl:variable name="email" select="$d[@field='email']"/>
    <xsl:variable name="website" select="$d[@field='website']"/>
    <xsl:variable name="comments" select="$d[@field='comments']"/>
    <have:Organization xsl:exclude-result-prefixes="have xnl xal xpil gml">
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
          <xnl:NameElement><xsl:value-of select="$d[@field='name']"/></xnl:NameElement>
        </xnl:OrganisationName>
        <xsl:if test="$street != '' or $postcode != ''">
          <xpil:Addresses>
            <xpil:Address>
              <xsl:if test="$street != ''">
                <xal:FreeTextAddress><xal:AddressLine><xsl:value-of select="$street"/></xal:AddressLine></xal:FreeTextAddress>
              </xsl:if>
              <xsl:if test="$loc-name != ''">
                <xal:Locality><xal:NameElement><xsl:value-of select="$loc-name"/></xal:NameElement></xal:Locality>
              </xsl:if>
              <xsl:if test="$postcode != ''">
                <xal:PostCode><xal:Identifier><xsl:value-of select="$postcode"/></xal:Identifier></xal:PostCode>
              </xsl:if>
            </xpil:Address>
          </xpil:Addresses>
        </xsl:if>
        <xsl:if test="$exchange != '' or $business != '' or $emergency != '' or $fax != ''">
          <xpil:ContactNumbers>
            <xsl:if test="$exchange != ''"><xpil:ContactNumber xpil:CommunicationMediaType="Telephone" xpil:Usage="Exchange"><xpil:ContactNumberElement><xsl:value-of select="$exchange"/></xpil:ContactNumberElement></xpil:ContactNumber></xsl:if>
            <xsl:if test="$business != ''"><xpil:ContactNumber xpil:CommunicationMediaType="Telephone" xpil:Usage="Business"><xpil:ContactNumberElement><xsl:value-of select="$business"/></xpil:ContactNumberElement></xpil:ContactNumber></xsl:if>
            <xsl:if test="$emergency != ''"><xpil:ContactNumber xpil:CommunicationMediaType="Telephone" xpil:Usage="Emergency"><xpil:ContactNumberElement><xsl:value-of select="$emergency"/></xpil:ContactNumberElement></xpil:ContactNumber></xsl:if>
            <xsl:if test="$fax != ''"><xpil:ContactNumber xpil:CommunicationMediaType="Fax" xpil:Usage="Fax"><xpil:ContactNumberElement><xsl:value-of select="$fax"/></xpil:ContactNumberElement></xpil:ContactNumber></xsl:if>
          </xpil:ContactNumbers>
        </xsl:if>
        <xsl:if test="$email != '' or $website != ''">
          <xpil:ElectronicAddressIdentifiers>
            <xsl:if test="$email != ''">
              <xpil:ElectronicAddressIdentifier xpil:Type="EMAIL"><xsl:value-of select="$email"/></xpil:ElectronicAddressIdentifier>
            </xsl:if>
            <xsl:if test="$website != ''">
              <xpil:ElectronicAddressIdentifier xpil:Type="URL"><xsl:value-of select="$website"/></xpil:ElectronicAddressIdentifier>
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
      <xsl:if test="$comments != ''">
        <have:CommentText><xsl:value-of select="$comments"/></have:CommentText>
      </xsl:if>
      <xsl:variable name="code" select="$d[@field='code']"/>
      <xsl:if test="string($code) != ''"><have:CommentText><xsl:value-of select="concat('Code: ', $code)"/></have:CommentText></xsl:if>
      <xsl:variable name="facility-type" select="$d[@field='facility_type']"/>
      <xsl:if test="string($facility-type) != ''"><have:CommentText><xsl:value-of select="concat('FacilityType: ', $facility-type)"/></have:CommentText></xsl:if>
      <xsl:variable name="town" select="$d[@field='town']"/>
      <xsl:if test="string($town) != ''"><have:CommentText><xsl:value-of select="concat('Town: ', $town)"/></have:CommentText></xsl:if>
      <xsl:variable name="contact" select="$d[@field='contact_name']"/>
      <xsl:if test="string($contact) != ''"><have:CommentText><xsl:value-of select="concat('Contact: ', $contact)"/></have:CommentText></xsl:if>
      <xsl:if test="$d[@field='obsolete']/@value = 'true'">
        <have:CommentText>Obsolete: true</have:CommentText>
      </xsl:if>
    </have:Organization>
  </xsl:template>

  <!-- Emergency department: EMS traffic and, as comments, the ED's own status. -->
  <xsl:template match="resource" mode="ed">
    <xsl:variable name="d" select="data"/>
    <!-- Eden's codes (med_ems_traffic_opts) to HAVE's words; the ED's own status travels as its label. -->
    <xsl:variable name="code" select="$d[@field='ems_status']/@value"/>
    <xsl:variable name="ems">
      <xsl:choose>
        <xsl:when test="$code = '1'">Normal</xsl:when>
        <xsl:when test="$code = '2'">Advisory</xsl:when>
        <xsl:when test="$code = '3'">Closed</xsl:when>
        <xsl:when test="$code = '4'">NotApplicable</xsl:when>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="ems-reason" select="$d[@field='ems_reason']"/>
    <xsl:variable name="er" select="string($d[@field='er_status'])"/>
    <xsl:variable name="er-reason" select="$d[@field='er_reason']"/>
    <xsl:if test="$ems != '' or $ems-reason != '' or $er != '' or $er-reason != ''">
      <have:EmergencyDepartmentStatus xsl:exclude-result-prefixes="have xnl xal xpil gml">
        <xsl:if test="$ems != '' or $ems-reason != ''">
          <have:EMSTraffic>
            <xsl:if test="$ems != ''"><have:EMSTrafficStatus><xsl:value-of select="$ems"/></have:EMSTrafficStatus></xsl:if>
            <xsl:if test="$ems-reason != ''"><have:EMSTrafficReason><xsl:value-of select="$ems-reason"/></have:EMSTrafficReason></xsl:if>
          </have:EMSTraffic>
        </xsl:if>
        <xsl:if test="string($er) != ''"><have:CommentText><xsl:value-of select="concat('EmergencyDepartmentStatus: ', $er)"/></have:CommentText></xsl:if>
        <xsl:if test="string($er-reason) != ''"><have:CommentText><xsl:value-of select="concat('EmergencyDepartmentReason: ', $er-reason)"/></have:CommentText></xsl:if>
      </have:EmergencyDepartmentStatus>
    </xsl:if>
  </xsl:template>

  <xsl:template match="resource[@name='med_bed_capacity']">
    <xsl:variable name="d" select="data"/>
    <xsl:variable name="bed-type" select="$d[@field='bed_type']"/>
    <xsl:variable name="code"><xsl:call-template name="bed-type"><xsl:with-param name="code" select="string($bed-type/@value)"/></xsl:call-template></xsl:variable>
    <xsl:variable name="status" select="$d[@field='capacity_status']"/>
    <xsl:variable name="cs" select="translate(concat($status/@value, $status[not(@value)]), '&quot;', '')"/>
    <xsl:variable name="available" select="$d[@field='beds_available']"/>
    <xsl:variable name="avail" select="concat($available/@value, $available[not(@value)])"/>
    <xsl:variable name="baseline" select="$d[@field='beds_baseline']"/>
    <xsl:variable name="base" select="concat($baseline/@value, $baseline[not(@value)])"/>
    <xsl:variable name="additional" select="$d[@field='beds_add24']"/>
    <xsl:variable name="add24" select="concat($additional/@value, $additional[not(@value)])"/>
    <xsl:variable name="unit-name" select="$d[@field='unit_name']"/>
    <xsl:variable name="comments" select="$d[@field='comments']"/>
    <xsl:variable name="date" select="$d[@field='date']"/>
    <have:BedCapacity xsl:exclude-result-prefixes="have xnl xal xpil gml">
      <xsl:if test="$code != ''"><have:BedType><xsl:value-of select="$code"/></have:BedType></xsl:if>
      <xsl:if test="$unit-name != ''"><have:SubCategoryBedType><xsl:value-of select="$unit-name"/></have:SubCategoryBedType></xsl:if>
      <have:Capacity>
        <xsl:choose>
          <xsl:when test="$cs = 'VacantAvailable'"><have:CapacityStatus>Vacant/Available</have:CapacityStatus></xsl:when>
          <xsl:when test="$cs = 'NotAvailable'"><have:CapacityStatus>NotAvailable</have:CapacityStatus></xsl:when>
        </xsl:choose>
        <xsl:if test="$avail != ''"><have:AvailableCount><xsl:value-of select="$avail"/></have:AvailableCount></xsl:if>
        <xsl:if test="$base != ''"><have:BaselineCount><xsl:value-of select="$base"/></have:BaselineCount></xsl:if>
        <xsl:if test="$add24 != ''"><have:AdditionalCapacityCount24Hr><xsl:value-of select="$add24"/></have:AdditionalCapacityCount24Hr></xsl:if>
      </have:Capacity>
      <xsl:if test="$comments != ''"><have:CommentText><xsl:value-of select="$comments"/></have:CommentText></xsl:if>
      <xsl:if test="$cs = 'NotApplicable'"><have:CommentText>CapacityStatus: NotApplicable</have:CommentText></xsl:if>
      <xsl:if test="$code = '' and $bed-type"><have:CommentText><xsl:value-of select="concat('BedType: ', $bed-type)"/></have:CommentText></xsl:if>
      <xsl:variable name="unit-id" select="$d[@field='unit_id']"/>
      <xsl:if test="string($unit-id) != ''"><have:CommentText><xsl:value-of select="concat('UnitID: ', $unit-id)"/></have:CommentText></xsl:if>
      <xsl:variable name="date-value" select="$date/@value | $date[not(@value)]"/>
      <xsl:if test="string($date-value) != ''"><have:CommentText><xsl:value-of select="concat('Date: ', $date-value)"/></have:CommentText></xsl:if>
    </have:BedCapacity>
  </xsl:template>

  <!-- Eden's bed_type codes (med_bed_type_opts) to HAVE's BedType words; codes HAVE has no word for travel as a comment. -->
  <xsl:template name="bed-type">
    <xsl:param name="code"/>
    <xsl:choose>
      <xsl:when test="$code = '1'">AdultICU</xsl:when>
      <xsl:when test="$code = '2'">PediatricICU</xsl:when>
      <xsl:when test="$code = '3'">NeonatalICU</xsl:when>
      <xsl:when test="$code = '4'">EmergencyDepartment</xsl:when>
      <xsl:when test="$code = '5'">NurseryBeds</xsl:when>
      <xsl:when test="$code = '6'">MedicalSurgical</xsl:when>
      <xsl:when test="$code = '7'">RehabLongTermCare</xsl:when>
      <xsl:when test="$code = '8'">Burn</xsl:when>
      <xsl:when test="$code = '9'">Pediatrics</xsl:when>
      <xsl:when test="$code = '10'">AdultPsychiatric</xsl:when>
      <xsl:when test="$code = '11'">PediatricPsychiatric</xsl:when>
      <xsl:when test="$code = '12'">NegativeFlowIsolation</xsl:when>
      <xsl:when test="$code = '13'">OtherIsolation</xsl:when>
      <xsl:when test="$code = '14'">OperatingRooms</xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="resource[@name='med_hospital_services']">
    <xsl:variable name="d" select="data"/>
    <xsl:variable name="burn" select="$d[@field='burn']/@value"/>
    <xsl:variable name="card" select="$d[@field='card']/@value"/>
    <xsl:variable name="dial" select="$d[@field='dial']/@value"/>
    <xsl:variable name="infd" select="$d[@field='infd']/@value"/>
    <xsl:variable name="neon" select="$d[@field='neon']/@value"/>
    <xsl:variable name="neur" select="$d[@field='neur']/@value"/>
    <xsl:variable name="obgy" select="$d[@field='obgy']/@value"/>
    <xsl:variable name="pedi" select="$d[@field='pedi']/@value"/>
    <xsl:variable name="psya" select="$d[@field='psya']/@value"/>
    <xsl:variable name="surg" select="$d[@field='surg']/@value"/>
    <xsl:variable name="tran" select="$d[@field='tran']/@value"/>
    <xsl:variable name="tair" select="$d[@field='tair']/@value"/>
    <xsl:variable name="trauma" select="$d[@field='trauma']/@value"/>
    <have:ServiceCoverageStatus xsl:exclude-result-prefixes="have xnl xal xpil gml">
      <xsl:if test="$burn"><have:Burn><xsl:value-of select="$burn"/></have:Burn></xsl:if>
      <xsl:if test="$card"><have:CardiologyIndicator><have:Cardiology><xsl:value-of select="$card"/></have:Cardiology></have:CardiologyIndicator></xsl:if>
      <xsl:if test="$dial"><have:Dialysis><xsl:value-of select="$dial"/></have:Dialysis></xsl:if>
      <xsl:if test="$infd"><have:InfectiousDisease><xsl:value-of select="$infd"/></have:InfectiousDisease></xsl:if>
      <xsl:if test="$neon"><have:Neonatology><xsl:value-of select="$neon"/></have:Neonatology></xsl:if>
      <xsl:if test="$neur"><have:NeurologyIndicator><have:Neurology><xsl:value-of select="$neur"/></have:Neurology></have:NeurologyIndicator></xsl:if>
      <xsl:if test="$obgy"><have:OBGYNIndicator><have:OBGYN><xsl:value-of select="$obgy"/></have:OBGYN></have:OBGYNIndicator></xsl:if>
      <xsl:if test="$pedi"><have:Pediatrics><xsl:value-of select="$pedi"/></have:Pediatrics></xsl:if>
      <xsl:if test="$psya"><have:PsychiatricIndicator><have:Psychiatric><xsl:value-of select="$psya"/></have:Psychiatric></have:PsychiatricIndicator></xsl:if>
      <xsl:if test="$surg"><have:SurgeryIndicator><have:Surgery><xsl:value-of select="$surg"/></have:Surgery></have:SurgeryIndicator></xsl:if>
      <xsl:if test="$tran or $tair">
        <have:TransportServicesIndicator>
          <have:TransportServicesSubType>
            <xsl:if test="$tran"><have:AmbulanceServices><xsl:value-of select="$tran"/></have:AmbulanceServices></xsl:if>
            <xsl:if test="$tair"><have:AirTransportServices><xsl:value-of select="$tair"/></have:AirTransportServices></xsl:if>
          </have:TransportServicesSubType>
        </have:TransportServicesIndicator>
      </xsl:if>
      <xsl:if test="$trauma"><have:TraumaCenterServicesIndicator><have:TraumaCenterServices><xsl:value-of select="$trauma"/></have:TraumaCenterServices></have:TraumaCenterServicesIndicator></xsl:if>
      <xsl:variable name="laboratory" select="$d[@field='labs']/@value"/>
      <xsl:if test="string($laboratory) != ''"><have:CommentText><xsl:value-of select="concat('Laboratory: ', $laboratory)"/></have:CommentText></xsl:if>
      <xsl:variable name="emergency-medical-services" select="$d[@field='emsd']/@value"/>
      <xsl:if test="string($emergency-medical-services) != ''"><have:CommentText><xsl:value-of select="concat('EmergencyMedicalServices: ', $emergency-medical-services)"/></have:CommentText></xsl:if>
      <xsl:variable name="tracheotomy" select="$d[@field='trac']/@value"/>
      <xsl:if test="string($tracheotomy) != ''"><have:CommentText><xsl:value-of select="concat('Tracheotomy: ', $tracheotomy)"/></have:CommentText></xsl:if>
      <xsl:variable name="pediatric-psychiatric" select="$d[@field='psyp']/@value"/>
      <xsl:if test="string($pediatric-psychiatric) != ''"><have:CommentText><xsl:value-of select="concat('PediatricPsychiatric: ', $pediatric-psychiatric)"/></have:CommentText></xsl:if>
    </have:ServiceCoverageStatus>
  </xsl:template>

  <xsl:template name="facility">
    <xsl:param name="status"/>
    <xsl:param name="activity"/>
    <xsl:variable name="sd" select="$status/data"/>
    <!-- Eden's codes: the label is HAVE's word where HAVE has one (spaces aside); the rest are comments. -->
    <xsl:variable name="clinical" select="string($sd[@field='clinical_status'])"/>
    <xsl:variable name="morgue" select="string($sd[@field='morgue_status'])"/>
    <xsl:variable name="morgue-units" select="$sd[@field='morgue_units']"/>
    <xsl:variable name="units" select="concat($morgue-units/@value, $morgue-units[not(@value)])"/>
    <xsl:variable name="comments" select="$sd[@field='comments']"/>
    <xsl:variable name="facility" select="string($sd[@field='facility_status'])"/>
    <xsl:variable name="security" select="translate($sd[@field='security_status'], ' ', '')"/>
    <xsl:variable name="have-facility" select="$facility = 'Normal' or $facility = 'Compromised' or $facility = 'Evacuating' or $facility = 'Closed'"/>
    <xsl:variable name="have-security" select="$security != '' and $security != 'Closed'"/>
    <xsl:variable name="have-morgue" select="$morgue != '' and $morgue != 'Closed'"/>
    <have:HospitalFacilityStatus xsl:exclude-result-prefixes="have xnl xal xpil gml">
      <xsl:if test="$clinical = 'Normal' or $clinical = 'Full'"><have:ClinicalStatus><xsl:value-of select="$clinical"/></have:ClinicalStatus></xsl:if>
      <xsl:if test="$have-morgue or $units != ''">
        <have:MorgueCapacity>
          <xsl:if test="$have-morgue"><have:MorgueCapacityStatus><xsl:value-of select="$morgue"/></have:MorgueCapacityStatus></xsl:if>
          <xsl:if test="$units != ''"><have:MorgueCapacityUnits><xsl:value-of select="$units"/></have:MorgueCapacityUnits></xsl:if>
        </have:MorgueCapacity>
      </xsl:if>
      <xsl:if test="$have-facility"><have:FacilityStatus><xsl:value-of select="$facility"/></have:FacilityStatus></xsl:if>
      <xsl:if test="$have-security"><have:SecurityStatus><xsl:value-of select="$security"/></have:SecurityStatus></xsl:if>
      <xsl:call-template name="latest-activity">
        <xsl:with-param name="activity" select="$activity"/>
        <xsl:with-param name="part" select="1"/>
      </xsl:call-template>
      <xsl:if test="$comments != ''"><have:CommentText><xsl:value-of select="$comments"/></have:CommentText></xsl:if>
      <xsl:if test="$clinical != '' and $clinical != 'Normal' and $clinical != 'Full'">
        <have:CommentText><xsl:value-of select="concat('ClinicalStatus: ', $clinical)"/></have:CommentText>
      </xsl:if>
      <xsl:if test="$facility != '' and not($have-facility)"><have:CommentText><xsl:value-of select="concat('FacilityStatus: ', $facility)"/></have:CommentText></xsl:if>
      <xsl:if test="$security = 'Closed'"><have:CommentText>SecurityStatus: Closed</have:CommentText></xsl:if>
      <xsl:if test="$morgue = 'Closed'"><have:CommentText>MorgueStatus: Closed</have:CommentText></xsl:if>
      <xsl:variable name="power-supply" select="$sd[@field='power_supply_type']"/>
      <xsl:if test="string($power-supply) != ''"><have:CommentText><xsl:value-of select="concat('PowerSupply: ', $power-supply)"/></have:CommentText></xsl:if>
      <xsl:variable name="operating-room-status" select="$sd[@field='or_status']"/>
      <xsl:if test="string($operating-room-status) != ''"><have:CommentText><xsl:value-of select="concat('OperatingRoomStatus: ', $operating-room-status)"/></have:CommentText></xsl:if>
      <xsl:variable name="operating-room-reason" select="$sd[@field='or_reason']"/>
      <xsl:if test="string($operating-room-reason) != ''"><have:CommentText><xsl:value-of select="concat('OperatingRoomReason: ', $operating-room-reason)"/></have:CommentText></xsl:if>
      <xsl:variable name="access-status" select="$sd[@field='access_status']"/>
      <xsl:if test="string($access-status) != ''"><have:CommentText><xsl:value-of select="concat('AccessStatus: ', $access-status)"/></have:CommentText></xsl:if>
      <xsl:variable name="gas-supply" select="$sd[@field='gas_supply_type']"/>
      <xsl:if test="string($gas-supply) != ''"><have:CommentText><xsl:value-of select="concat('GasSupply: ', $gas-supply)"/></have:CommentText></xsl:if>
      <xsl:variable name="gas-supply-capacity" select="$sd[@field='gas_supply_capacity']/@value"/>
      <xsl:if test="string($gas-supply-capacity) != ''"><have:CommentText><xsl:value-of select="concat('GasSupplyCapacity: ', $gas-supply-capacity)"/></have:CommentText></xsl:if>
      <xsl:variable name="damage" select="$sd[@field='damage']/@value"/>
      <xsl:if test="string($damage) != ''"><have:CommentText><xsl:value-of select="concat('Damage: ', $damage)"/></have:CommentText></xsl:if>
      <xsl:call-template name="latest-activity">
        <xsl:with-param name="activity" select="$activity"/>
        <xsl:with-param name="part" select="2"/>
      </xsl:call-template>
    </have:HospitalFacilityStatus>
  </xsl:template>

  <!-- The latest activity record (by date, compared as SaxonJS compares strings by default, with
       the "en" collation; of equal ones the first): part 1 writes its counts, part 2 its comments.
       Creating that collator costs ~10 ms in a fresh process, so it is spared where it cannot
       change the order: a single record needs no sort, and dates of one shape (the same
       characters at the same places but for the digits, as two ISO dates in the same form) order
       the same by code point. -->
  <xsl:template name="latest-activity">
    <xsl:param name="activity"/>
    <xsl:param name="part"/>
    <xsl:choose>
      <xsl:when test="$activity[2]">
        <xsl:variable name="shape" select="translate($activity[1]/data[@field='date']/@value | $activity[1]/data[@field='date'][not(@value)], '0123456789', '0000000000')"/>
        <xsl:variable name="collation">
          <xsl:choose>
            <xsl:when test="$activity[translate(data[@field='date']/@value | data[@field='date'][not(@value)], '0123456789', '0000000000') != $shape]">http://www.w3.org/2013/collation/UCA?lang=en</xsl:when>
            <xsl:otherwise>http://www.w3.org/2005/xpath-functions/collation/codepoint</xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <xsl:for-each select="$activity">
          <xsl:sort select="data[@field='date']/@value | data[@field='date'][not(@value)]" order="descending" collation="{$collation}"/>
          <xsl:if test="position() = 1"><xsl:call-template name="activity"><xsl:with-param name="part" select="$part"/></xsl:call-template></xsl:if>
        </xsl:for-each>
      </xsl:when>
      <xsl:otherwise>
        <xsl:for-each select="$activity"><xsl:call-template name="activity"><xsl:with-param name="part" select="$part"/></xsl:call-template></xsl:for-each>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="activity">
    <xsl:param name="part"/>
    <xsl:variable name="d" select="data"/>
    <xsl:choose>
      <xsl:when test="$part = 1">
        <have:Activity24Hr xsl:exclude-result-prefixes="have xnl xal xpil gml">
          <xsl:if test="$d[@field='admissions24']"><have:Admissions><xsl:value-of select="concat($d[@field='admissions24']/@value, $d[@field='admissions24'][not(@value)])"/></have:Admissions></xsl:if>
          <xsl:if test="$d[@field='discharges24']"><have:Discharges><xsl:value-of select="concat($d[@field='discharges24']/@value, $d[@field='discharges24'][not(@value)])"/></have:Discharges></xsl:if>
          <xsl:if test="$d[@field='deaths24']"><have:Deaths><xsl:value-of select="concat($d[@field='deaths24']/@value, $d[@field='deaths24'][not(@value)])"/></have:Deaths></xsl:if>
        </have:Activity24Hr>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="activity-date" select="$d[@field='date']/@value | $d[@field='date'][not(@value)]"/>
        <xsl:if test="string($activity-date) != ''"><have:CommentText><xsl:value-of select="concat('ActivityDate: ', $activity-date)"/></have:CommentText></xsl:if>
        <xsl:variable name="patients" select="$d[@field='patients']/@value | $d[@field='patients'][not(@value)]"/>
        <xsl:if test="string($patients) != ''"><have:CommentText><xsl:value-of select="concat('Patients: ', $patients)"/></have:CommentText></xsl:if>
        <xsl:variable name="activity-comments" select="$d[@field='comment']"/>
        <xsl:if test="string($activity-comments) != ''"><have:CommentText><xsl:value-of select="concat('ActivityComments: ', $activity-comments)"/></have:CommentText></xsl:if>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="resources">
    <xsl:param name="status"/>
    <xsl:variable name="sd" select="$status/data"/>
    <!-- Eden's resource scale (1 Adequate, 2 Insufficient) is HAVE's: the label is the word. -->
    <xsl:variable name="s" select="string($sd[@field='staffing'])"/>
    <xsl:variable name="f" select="string($sd[@field='facility_operations'])"/>
    <xsl:variable name="c" select="string($sd[@field='clinical_operations'])"/>
    <xsl:variable name="counts" select="data[@field='doctors' or @field='nurses' or @field='non_medical_staff' or @field='total_beds' or @field='available_beds']"/>
    <xsl:variable name="comments" select="$sd[@field='staffing_comments']"/>
    <xsl:if test="$s != '' or $f != '' or $c != '' or $counts or $comments != ''">
      <have:HospitalResourcesStatus xsl:exclude-result-prefixes="have xnl xal xpil gml">
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
        <xsl:if test="$comments != ''"><have:CommentText><xsl:value-of select="$comments"/></have:CommentText></xsl:if>
      </have:HospitalResourcesStatus>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>

<?xml version="1.0" encoding="UTF-8"?>
<!--
  EDXL-HAVE 1.0 to S3XML: one med_hospital (with status, services, bed capacity and activity
  components) and one gis_location per Hospital.

  Identity: a hospital is its organisation identifier (xnl:OrganisationID). Identities are written
  as placeholders "urn:tidemark:key:..." that src/interchange/inbound.ts turns into stable uuids
  (an existing record with the same government identifier, else a name-based UUIDv5), so the same
  document pushed twice names the same records. A hospital without an identifier is keyed by its
  name. The single components (status, services) carry no uuid: the importer matches them to the
  hospital's existing row. Every record carries LastUpdateTime as modified_on, so an older report
  never overwrites a newer one.

  Fixes Eden's have/import.xsl: ClinicalStatus goes to clinical_status (not morgue_status) and the
  services go to med_hospital_services. The "Key: value" comment lines written by
  s3xml-to-edxl-have.xsl are read back into their fields; any other comment text is kept in the
  comments field of the element it belongs to.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:map="http://www.w3.org/2005/xpath-functions/map"
    xmlns:tm="urn:tidemark:xslt"
    xmlns:have="urn:oasis:names:tc:emergency:EDXL:HAVE:1.0"
    xmlns:xnl="urn:oasis:names:tc:ciq:xnl:3"
    xmlns:xal="urn:oasis:names:tc:ciq:xal:3"
    xmlns:xpil="urn:oasis:names:tc:ciq:xpil:3"
    xmlns:gml="http://www.opengis.net/gml"
    exclude-result-prefixes="#all">

  <xsl:output method="xml" indent="no" encoding="UTF-8"/>
  <xsl:strip-space elements="*"/>

  <!-- HAVE's BedType words to Sahana Eden's bed_type codes (med_bed_type_opts). -->
  <xsl:variable name="BED-TYPES" as="map(xs:string, xs:string)" select="map {
    'AdultICU': '1',
    'PediatricICU': '2',
    'NeonatalICU': '3',
    'EmergencyDepartment': '4',
    'NurseryBeds': '5',
    'MedicalSurgical': '6',
    'RehabLongTermCare': '7',
    'Burn': '8',
    'Pediatrics': '9',
    'AdultPsychiatric': '10',
    'PediatricPsychiatric': '11',
    'NegativeFlowIsolation': '12',
    'OtherIsolation': '13',
    'OperatingRooms': '14'
  }"/>

  <!-- "Key: value" comment lines: the value for `key`, if present. -->
  <xsl:function name="tm:kv" as="xs:string?">
    <xsl:param name="comments" as="element()*"/>
    <xsl:param name="key" as="xs:string"/>
    <xsl:sequence select="($comments[starts-with(., $key || ': ')] ! substring-after(., ': '))[1]"/>
  </xsl:function>

  <!-- Comment lines that are not "Key: value" lines written by Tidemark. -->
  <xsl:function name="tm:free" as="xs:string?">
    <xsl:param name="comments" as="element()*"/>
    <xsl:variable name="free" select="$comments[not(matches(., '^[A-Za-z]+: '))] ! string(.)"/>
    <xsl:sequence select="if (exists($free)) then string-join($free, '&#10;') else ()"/>
  </xsl:function>

  <xsl:template name="data">
    <xsl:param name="field" as="xs:string"/>
    <xsl:param name="value" as="xs:anyAtomicType?"/>
    <xsl:param name="raw" as="xs:boolean" select="false()"/>
    <xsl:if test="exists($value) and string($value) != ''">
      <data field="{$field}">
        <xsl:if test="$raw"><xsl:attribute name="value" select="$value"/></xsl:if>
        <xsl:if test="not($raw)"><xsl:value-of select="$value"/></xsl:if>
      </data>
    </xsl:if>
  </xsl:template>

  <xsl:template match="/">
    <s3xml>
      <xsl:apply-templates select="have:HospitalStatus/have:Hospital"/>
    </s3xml>
  </xsl:template>

  <xsl:template match="have:Hospital">
    <xsl:variable name="org" select="have:Organization"/>
    <xsl:variable name="info" select="$org/have:OrganizationInformation"/>
    <xsl:variable name="oname" select="$info/xnl:OrganisationName[1]"/>
    <xsl:variable name="name" select="normalize-space(string-join($oname/xnl:NameElement, ' '))"/>
    <xsl:variable name="id" select="normalize-space($oname/@xnl:OrganisationID)"/>
    <xsl:variable name="own" select="starts-with($id, 'urn:uuid:')"/>
    <xsl:variable name="key" select="if ($id != '') then 'edxl-have:' || $id else 'edxl-have-name:' || $name"/>
    <xsl:variable name="when" select="string(have:LastUpdateTime)"/>
    <xsl:variable name="address" select="$info/xpil:Addresses/xpil:Address[1]"/>
    <xsl:variable name="pos" select="tokenize(normalize-space($org/have:OrganizationGeoLocation/gml:Point/gml:pos), ' ')"/>
    <xsl:variable name="ocomments" select="$org/have:CommentText"/>
    <xsl:variable name="hospital-uuid" select="if ($own) then $id else 'urn:tidemark:key:' || $key"/>
    <xsl:variable name="location-uuid" select="'urn:tidemark:key:' || $key || ':location'"/>
    <xsl:variable name="has-location" select="count($pos) = 2 or exists($address)"/>

    <xsl:if test="$has-location">
      <resource name="gis_location" uuid="{$location-uuid}" modified_on="{$when}">
        <data field="name"><xsl:value-of select="($address/xal:Locality/xal:NameElement[1], $name)[normalize-space(.) != ''][1]"/></data>
        <xsl:if test="count($pos) = 2">
          <data field="lat" value="{$pos[1]}"/>
          <data field="lon" value="{$pos[2]}"/>
        </xsl:if>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'addr_street'"/><xsl:with-param name="value" select="string-join($address/xal:FreeTextAddress/xal:AddressLine, ', ')"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'addr_postcode'"/><xsl:with-param name="value" select="string($address/xal:PostCode/xal:Identifier[1])"/></xsl:call-template>
      </resource>
    </xsl:if>

    <resource name="med_hospital" uuid="{$hospital-uuid}" modified_on="{$when}">
      <xsl:if test="$id != '' and not($own)"><xsl:attribute name="tm_match" select="serialize(map { 'gov_uuid': $id }, map { 'method': 'json' })"/></xsl:if>
      <data field="name"><xsl:value-of select="$name"/></data>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'gov_uuid'"/><xsl:with-param name="value" select="if ($own) then () else $id"/></xsl:call-template>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'code'"/><xsl:with-param name="value" select="tm:kv($ocomments, 'Code')"/></xsl:call-template>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'facility_type'"/><xsl:with-param name="value" select="tm:kv($ocomments, 'FacilityType')"/></xsl:call-template>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'town'"/><xsl:with-param name="value" select="tm:kv($ocomments, 'Town')"/></xsl:call-template>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'contact_name'"/><xsl:with-param name="value" select="tm:kv($ocomments, 'Contact')"/></xsl:call-template>
      <xsl:variable name="numbers" select="$info/xpil:ContactNumbers/xpil:ContactNumber"/>
      <xsl:variable name="phone" select="function($n) { normalize-space(string-join($n/xpil:ContactNumberElement, ' ')) }"/>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'phone_exchange'"/><xsl:with-param name="value" select="($numbers[@xpil:Usage = 'Exchange' or (not(@xpil:Usage) and not(@xpil:CommunicationMediaType = 'Fax'))][1]) ! $phone(.)"/></xsl:call-template>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'phone_business'"/><xsl:with-param name="value" select="$numbers[@xpil:Usage = 'Business'][1] ! $phone(.)"/></xsl:call-template>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'phone_emergency'"/><xsl:with-param name="value" select="$numbers[@xpil:Usage = 'Emergency'][1] ! $phone(.)"/></xsl:call-template>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'fax'"/><xsl:with-param name="value" select="$numbers[@xpil:CommunicationMediaType = 'Fax'][1] ! $phone(.)"/></xsl:call-template>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'email'"/><xsl:with-param name="value" select="string(($info/xpil:ElectronicAddressIdentifiers/xpil:ElectronicAddressIdentifier[@xpil:Type = 'EMAIL'])[1])"/></xsl:call-template>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'website'"/><xsl:with-param name="value" select="string(($info/xpil:ElectronicAddressIdentifiers/xpil:ElectronicAddressIdentifier[@xpil:Type = 'URL'])[1])"/></xsl:call-template>
      <xsl:variable name="rtext" select="have:HospitalResourcesStatus/have:ResourcesInformationText"/>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'total_beds'"/><xsl:with-param name="value" select="tm:kv($rtext, 'TotalBeds')"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'available_beds'"/><xsl:with-param name="value" select="tm:kv($rtext, 'AvailableBeds')"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'doctors'"/><xsl:with-param name="value" select="tm:kv($rtext, 'Doctors')"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'nurses'"/><xsl:with-param name="value" select="tm:kv($rtext, 'Nurses')"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'non_medical_staff'"/><xsl:with-param name="value" select="tm:kv($rtext, 'NonMedicalStaff')"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
      <!-- A hospital that reports is in service unless it says otherwise. -->
      <data field="obsolete" value="{if (tm:kv($ocomments, 'Obsolete') = 'true') then 'true' else 'false'}"/>
      <xsl:call-template name="data"><xsl:with-param name="field" select="'comments'"/><xsl:with-param name="value" select="tm:free($ocomments)"/></xsl:call-template>
      <xsl:if test="$has-location">
        <reference field="location_id" resource="gis_location" uuid="{$location-uuid}"/>
      </xsl:if>

      <xsl:call-template name="status"><xsl:with-param name="when" select="$when"/></xsl:call-template>
      <xsl:apply-templates select="have:ServiceCoverageStatus"><xsl:with-param name="when" select="$when"/></xsl:apply-templates>
      <xsl:for-each select="have:HospitalBedCapacityStatus/have:BedCapacity">
        <xsl:variable name="type" select="string(have:BedType[1])"/>
        <xsl:variable name="cap" select="have:Capacity[1]"/>
        <xsl:variable name="comments" select="have:CommentText"/>
        <resource name="med_bed_capacity" alias="bed_capacity"
                  uuid="{'urn:tidemark:key:' || $key || ':bed:' || $type || ':' || normalize-space(have:SubCategoryBedType[1]) || ':' || count(preceding-sibling::have:BedCapacity[string(have:BedType[1]) = $type and normalize-space(have:SubCategoryBedType[1]) = normalize-space(current()/have:SubCategoryBedType[1])])}"
                  modified_on="{$when}">
          <xsl:choose>
            <xsl:when test="$type != '' and map:contains($BED-TYPES, $type)"><data field="bed_type" value="{$BED-TYPES($type)}"/></xsl:when>
            <!-- Coded types HAVE has no word for come back from their comment, by label; else Eden's "Other". -->
            <xsl:otherwise><data field="bed_type"><xsl:value-of select="(tm:kv($comments, 'BedType'), 'Other')[1]"/></data></xsl:otherwise>
          </xsl:choose>
          <xsl:call-template name="data"><xsl:with-param name="field" select="'unit_id'"/><xsl:with-param name="value" select="tm:kv($comments, 'UnitID')"/></xsl:call-template>
          <xsl:call-template name="data"><xsl:with-param name="field" select="'unit_name'"/><xsl:with-param name="value" select="normalize-space(have:SubCategoryBedType[1])"/></xsl:call-template>
          <xsl:call-template name="data"><xsl:with-param name="field" select="'capacity_status'"/>
            <xsl:with-param name="value" select="if ($cap/have:CapacityStatus = 'Vacant/Available') then 'VacantAvailable'
                                                 else if ($cap/have:CapacityStatus = 'NotAvailable') then 'NotAvailable'
                                                 else tm:kv($comments, 'CapacityStatus')"/></xsl:call-template>
          <xsl:call-template name="data"><xsl:with-param name="field" select="'beds_baseline'"/><xsl:with-param name="value" select="string($cap/have:BaselineCount)"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
          <xsl:call-template name="data"><xsl:with-param name="field" select="'beds_available'"/><xsl:with-param name="value" select="string($cap/have:AvailableCount)"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
          <xsl:call-template name="data"><xsl:with-param name="field" select="'beds_add24'"/><xsl:with-param name="value" select="string($cap/have:AdditionalCapacityCount24Hr)"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
          <xsl:call-template name="data"><xsl:with-param name="field" select="'date'"/><xsl:with-param name="value" select="tm:kv($comments, 'Date')"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
          <xsl:call-template name="data"><xsl:with-param name="field" select="'comments'"/><xsl:with-param name="value" select="tm:free($comments)"/></xsl:call-template>
        </resource>
      </xsl:for-each>
      <xsl:for-each select="have:HospitalFacilityStatus/have:Activity24Hr">
        <xsl:variable name="fc" select="../have:CommentText"/>
        <xsl:variable name="date" select="(tm:kv($fc, 'ActivityDate'), $when)[1]"/>
        <resource name="med_hospital_activity" alias="activity" uuid="{'urn:tidemark:key:' || $key || ':activity:' || $date}" modified_on="{$when}">
          <data field="date" value="{$date}"/>
          <xsl:call-template name="data"><xsl:with-param name="field" select="'patients'"/><xsl:with-param name="value" select="tm:kv($fc, 'Patients')"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
          <xsl:call-template name="data"><xsl:with-param name="field" select="'admissions24'"/><xsl:with-param name="value" select="normalize-space(have:Admissions)"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
          <xsl:call-template name="data"><xsl:with-param name="field" select="'discharges24'"/><xsl:with-param name="value" select="normalize-space(have:Discharges)"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
          <xsl:call-template name="data"><xsl:with-param name="field" select="'deaths24'"/><xsl:with-param name="value" select="normalize-space(have:Deaths)"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
          <xsl:call-template name="data"><xsl:with-param name="field" select="'comment'"/><xsl:with-param name="value" select="tm:kv($fc, 'ActivityComments')"/></xsl:call-template>
        </resource>
      </xsl:for-each>
    </resource>
  </xsl:template>

  <xsl:template name="status">
    <xsl:param name="when"/>
    <xsl:variable name="ed" select="have:EmergencyDepartmentStatus"/>
    <xsl:variable name="fs" select="have:HospitalFacilityStatus"/>
    <xsl:variable name="rs" select="have:HospitalResourcesStatus"/>
    <xsl:variable name="fc" select="$fs/have:CommentText"/>
    <xsl:if test="$ed or $fs[* except (have:Activity24Hr)] or $rs[have:Staffing or have:FacilityOperations or have:ClinicalOperations or have:CommentText]">
      <resource name="med_hospital_status" alias="status" modified_on="{$when}">
        <xsl:call-template name="data"><xsl:with-param name="field" select="'ems_status'"/><xsl:with-param name="value" select="string($ed/have:EMSTraffic/have:EMSTrafficStatus)"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'ems_reason'"/><xsl:with-param name="value" select="string($ed/have:EMSTraffic/have:EMSTrafficReason)"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'er_status'"/><xsl:with-param name="value" select="tm:kv($ed/have:CommentText, 'EmergencyDepartmentStatus')"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'er_reason'"/><xsl:with-param name="value" select="tm:kv($ed/have:CommentText, 'EmergencyDepartmentReason')"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'facility_status'"/><xsl:with-param name="value" select="(string($fs/have:FacilityStatus)[. != ''], tm:kv($fc, 'FacilityStatus'))[1]"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'clinical_status'"/><xsl:with-param name="value" select="(string($fs/have:ClinicalStatus)[. != ''], tm:kv($fc, 'ClinicalStatus'))[1]"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'morgue_status'"/><xsl:with-param name="value" select="(string($fs/have:MorgueCapacity/have:MorgueCapacityStatus)[. != ''], tm:kv($fc, 'MorgueStatus'))[1]"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'morgue_units'"/><xsl:with-param name="value" select="string($fs/have:MorgueCapacity/have:MorgueCapacityUnits)"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'security_status'"/><xsl:with-param name="value" select="(string($fs/have:SecurityStatus)[. != ''], tm:kv($fc, 'SecurityStatus'))[1]"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'facility_operations'"/><xsl:with-param name="value" select="string($rs/have:FacilityOperations)"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'clinical_operations'"/><xsl:with-param name="value" select="string($rs/have:ClinicalOperations)"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'staffing'"/><xsl:with-param name="value" select="string($rs/have:Staffing)"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'staffing_comments'"/><xsl:with-param name="value" select="tm:free($rs/have:CommentText)"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'power_supply_type'"/><xsl:with-param name="value" select="tm:kv($fc, 'PowerSupply')"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'or_status'"/><xsl:with-param name="value" select="tm:kv($fc, 'OperatingRoomStatus')"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'or_reason'"/><xsl:with-param name="value" select="tm:kv($fc, 'OperatingRoomReason')"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'access_status'"/><xsl:with-param name="value" select="tm:kv($fc, 'AccessStatus')"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'gas_supply_type'"/><xsl:with-param name="value" select="tm:kv($fc, 'GasSupply')"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'gas_supply_capacity'"/><xsl:with-param name="value" select="tm:kv($fc, 'GasSupplyCapacity')"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'damage'"/><xsl:with-param name="value" select="tm:kv($fc, 'Damage')"/><xsl:with-param name="raw" select="true()"/></xsl:call-template>
        <xsl:call-template name="data"><xsl:with-param name="field" select="'comments'"/><xsl:with-param name="value" select="tm:free(($fc, $ed/have:CommentText, $ed/have:EMSTraffic/have:CommentText))"/></xsl:call-template>
      </resource>
    </xsl:if>
  </xsl:template>

  <xsl:template match="have:ServiceCoverageStatus">
    <xsl:param name="when"/>
    <xsl:variable name="s" select="."/>
    <xsl:variable name="b" select="function($e as element()*) as xs:string? { ($e ! normalize-space(.))[. = ('true', 'false', '1', '0')][1] ! (if (. = ('true', '1')) then 'true' else 'false') }"/>
    <resource name="med_hospital_services" alias="services" modified_on="{$when}">
      <xsl:for-each select="(
          ['burn', $b($s/have:Burn)],
          ['card', $b(($s/have:CardiologyIndicator/have:Cardiology, $s/have:CardiologyIndicator/have:CardiologySubType/*[. = 'true']))],
          ['dial', $b($s/have:Dialysis)],
          ['infd', $b($s/have:InfectiousDisease)],
          ['neon', $b($s/have:Neonatology)],
          ['neur', $b(($s/have:NeurologyIndicator/have:Neurology, $s/have:NeurologyIndicator/have:NeurologySubType/*[. = 'true']))],
          ['obgy', $b(($s/have:OBGYNIndicator/have:OBGYN, $s/have:OBGYNIndicator/have:OBGYNSubType/*[. = 'true']))],
          ['pedi', $b($s/have:Pediatrics)],
          ['psya', $b(($s/have:PsychiatricIndicator/have:Psychiatric, $s/have:PsychiatricIndicator/have:PsychiatricSubType/*[. = 'true']))],
          ['surg', $b(($s/have:SurgeryIndicator/have:Surgery, $s/have:SurgeryIndicator/have:SurgerySubType/*[. = 'true']))],
          ['tran', $b(($s/have:TransportServicesIndicator/have:TransportServicesSubType/have:AmbulanceServices, $s/have:TransportServicesIndicator/have:TransportServices))],
          ['tair', $b(($s/have:TransportServicesIndicator/have:TransportServicesSubType/have:AirTransportServices, $s/have:TransportServicesIndicator/have:TransportServices))],
          ['trauma', $b($s/have:TraumaCenterServicesIndicator/have:TraumaCenterServices)],
          ['labs', tm:kv($s/have:CommentText, 'Laboratory')],
          ['emsd', tm:kv($s/have:CommentText, 'EmergencyMedicalServices')],
          ['trac', tm:kv($s/have:CommentText, 'Tracheotomy')],
          ['psyp', tm:kv($s/have:CommentText, 'PediatricPsychiatric')]
        )[exists(?2)]">
        <data field="{?1}" value="{?2}"/>
      </xsl:for-each>
    </resource>
  </xsl:template>
</xsl:stylesheet>

"""FHIR R4 closed-loop referrals (/api/fhir/r4/, the HL7 SDOH Clinical Care / Gravity pattern):
a referral is a ServiceRequest with a Task whose status follows ours, a consent-gated minimal
Patient, the directory as Organization, HealthcareService and Location, and a
CapabilityStatement. Every resource produced and received is validated with fhir.resources
(its R4B models: fhir.resources 8 ships no separate R4 package, and these resources are the
same on the wire). docs/decisions/0030-fhir-closed-loop-referral.md"""

"""Data rights: everything held about a patient, as one JSON document or a FHIR R4 Bundle."""

"""Erasure: a clinic admin erases a patient (KVKK Art. 7, GDPR Art. 17); a patient asks for it."""

"""The progress report: a one- or two-page PDF of a patient's course for a referring physician."""

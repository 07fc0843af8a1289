"""A patient's private calendar feed: the programme's sessions, the posture-break window and the
due questionnaires as iCalendar, at a URL whose token stands in for a sign-in."""

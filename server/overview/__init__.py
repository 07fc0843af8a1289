"""The patient overview: the 7-day summary the patient endpoints show, a read model over the
domains it sums up (adherence, flags, records), above all of them."""

import { useEffect } from 'react';
import { useClinic } from '../features/clinic/api/clinic';
import { useI18n } from '../i18n';

/** Dates and times follow the clinic's time zone (GET /clinic), whatever the browser's is. */
export function useClinicTimeZone() {
  const { setTimeZone } = useI18n();
  const timeZone = useClinic().data?.timezone;
  useEffect(() => {
    if (timeZone) setTimeZone(timeZone);
  }, [timeZone, setTimeZone]);
}

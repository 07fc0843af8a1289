import { queryOptions, useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useI18n, type Language } from '../i18n';
import { api } from '../lib/api-client';
import { unwrap } from '../lib/problem';

export const staffProfileQuery = (userId: string) =>
  queryOptions({
    queryKey: ['staff-profile', userId],
    queryFn: async () => {
      const page = await unwrap(api.GET('/api/v1/therapists', { params: { query: { limit: 200 } } }));
      return page.items.find((member) => member.id === userId) ?? null;
    },
    staleTime: Infinity,
  });

/** The signed-in staff member's own record: the console follows their language. */
export function useStaffProfile(userId: string) {
  const { setLanguage } = useI18n();
  const query = useQuery(staffProfileQuery(userId));
  const language = query.data?.language;
  useEffect(() => {
    if (language === 'tr' || language === 'en') setLanguage(language as Language);
  }, [language, setLanguage]);
  return query.data;
}

// The language the staff member reads: the API writes its problems (detail and field messages)
// in it, through the Accept-Language header the API client sends.
let readerLanguage = 'en';

export function setReaderLanguage(language: string): void {
  readerLanguage = language;
}

export function getReaderLanguage(): string {
  return readerLanguage;
}

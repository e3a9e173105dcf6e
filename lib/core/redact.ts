/**
 * Credentials in URLs (`https://user:password@host/...`) masked before anything is printed, logged or
 * written into a report: the user part stays, so the message still says which account was used.
 */

// scheme://user:password@ — the password runs to the last '@' before the host part ends, so a password
// holding '@', ':' or '/' (valid when percent-encoding is skipped) is masked whole.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@"'`]*):[^\s"'`]*@(?=[^\s@"'`]*(?:[\s"'`]|$))/gi;

/** Every URL credential in `text` masked (error messages, helm's stderr, log lines). */
export function redactText(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1:***@');
}

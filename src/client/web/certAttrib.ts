/**
 * The CertAttrib and FriendlyType fields certrqma.asp posts to certfnsh.asp
 * (docs/certsrv.md §2): `CertificateTemplate:<name>`, the attributes the user
 * typed, then `UserAgent:<browser>`, one `Name:Value` per line, every line ending CRLF.
 */

export interface AttribProblem {
  readonly message: string;
}

/** The typed attribute lines, normalised to `Name:Value`, or a problem to show next to the field. */
export function parseTypedAttributes(text: string): { lines: string[] } | AttribProblem {
  const lines = text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  for (const [i, line] of lines.entries()) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { message: `Line ${i + 1} ("${line.slice(0, 40)}") is not Name:Value.` };
    const name = line.slice(0, colon).trim();
    if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(name))
      return { message: `Line ${i + 1}: "${name.slice(0, 40)}" is not an attribute name.` };
    if (/^certificatetemplate$/i.test(name))
      return {
        message: 'Choose the certificate template in the list above; a CertificateTemplate line here is not used.',
      };
  }
  if (lines.join('\r\n').length > 4000) return { message: 'The attributes are too long (at most 4000 characters).' };
  return { lines };
}

export function buildCertAttrib(templateName: string, typed: readonly string[], userAgent: string): string {
  return [`CertificateTemplate:${templateName}`, ...typed, `UserAgent:${userAgent.replace(/[\r\n]/g, ' ')}`]
    .map((l) => `${l}\r\n`)
    .join('');
}

/** `<display name> Certificate (<local date and time>)`, as certrqma.asp names the pending entry. */
export function friendlyType(display: string, when: Date): string {
  return `${display} Certificate (${when.toLocaleDateString()} ${when.toLocaleTimeString()})`;
}

/** A file name for the PKCS#12 download: the friendly name without characters file systems refuse. */
export function p12FileName(friendlyName: string): string {
  const base =
    friendlyName
      .replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_')
      .trim()
      .slice(0, 100) || 'certificate';
  return `${base}.p12`;
}

/**
 * The publication exit module (AD CS "Publish certificate in Active Directory", MS-WCCE
 * §3.2.2.6.2.1.4.5.4): after commit, an issued certificate is added to the subject's
 * entry (userCertificate / userCertificate;binary), and removed again when it is revoked
 * (put back when a certificateHold is released). Enabled by `directory.publish: true`.
 *
 * It observes only: a failure throws, the ExitDispatcher retries and logs it, and
 * issuance stands. Both directions are idempotent, so a retry after a half-seen success
 * does no harm.
 */
import type { Directory } from '../Directory.js';
import type { ExitEvent, ExitModule } from '../../exit/ExitModule.js';
import { LdapDirectory } from './LdapDirectory.js';
import type { LdapLogger } from './LdapConnectionPool.js';

export class LdapPublisher implements ExitModule {
  readonly name = 'ldap-publication';

  constructor(
    private readonly directory: LdapDirectory,
    private readonly log: LdapLogger = { warn: () => {} },
  ) {}

  async notify(event: ExitEvent): Promise<void> {
    switch (event.kind) {
      case 'issued':
      case 'unrevoked': {
        if (!event.subjectUser || !event.der) return;
        const r = await this.directory.publishCertificate(event.subjectUser, event.der);
        if (r === 'no-account')
          this.log.warn(
            { exit: this.name, user: event.subjectUser, serial: event.serial },
            'no directory entry to publish the certificate to',
          );
        return;
      }
      case 'revoked': {
        if (!event.subjectUser || !event.der) return;
        const r = await this.directory.unpublishCertificate(event.subjectUser, event.der);
        if (r === 'no-account')
          this.log.warn(
            { exit: this.name, user: event.subjectUser, serial: event.serial },
            'no directory entry to remove the revoked certificate from',
          );
        return;
      }
      default:
        return;
    }
  }
}

/** The publication exit for a directory configured with `publish: true`, else undefined. */
export function publicationExit(directory: Directory, log?: LdapLogger): ExitModule | undefined {
  return directory instanceof LdapDirectory && directory.settings.publish
    ? new LdapPublisher(directory, log)
    : undefined;
}

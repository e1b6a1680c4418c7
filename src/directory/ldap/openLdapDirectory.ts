import type { Config } from '../../config/Config.js';
import { TesseraError } from '../../errors/TesseraError.js';
import type { Directory } from '../Directory.js';

/** LDAP / Active Directory. Implemented with the directory issue (#9). */
export async function openLdapDirectory(_config: Config): Promise<Directory> {
  throw new TesseraError('CONFIG_INVALID', 'directory.type "ldap" is not available yet');
}

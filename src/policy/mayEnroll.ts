import type { DirectoryUser } from '../directory/Directory.js';
import type { Template } from '../template/Template.js';

/** MS-CRTD Enroll permission: the user is in one of the template's Enroll groups. */
export function mayEnroll(user: DirectoryUser, t: Template): boolean {
  const groups = new Set(user.groups.map((g) => g.toLowerCase()));
  return t.enroll.some((g) => groups.has(g.toLowerCase()));
}

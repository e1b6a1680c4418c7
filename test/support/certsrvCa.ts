/** A CA set up the way the certsrv tests need it: alice may enroll for Smartcard User, a pending template, carol may not. */
import { createGroup } from '../../src/ra/admin/groups.js';
import { saveTemplate, setTemplateGrant } from '../../src/ra/admin/templates.js';
import { LOCAL, newTestCa, type TestCa } from './tessera.js';

export async function newCertsrvCa(): Promise<TestCa> {
  const ca = await newTestCa();
  await createGroup(ca.t, LOCAL, 'Smartcard Users');
  await ca.user('alice', { displayName: 'Alice Smith', groups: ['Smartcard Users'] });
  await ca.user('carol', { displayName: 'Carol White' });
  await ca.user('manager', { groups: ['Certificate Managers'] });
  await ca.user('admin', { groups: ['CA Administrators'] });
  for (const tpl of ['SmartcardUser', 'SmartcardLogon'])
    await setTemplateGrant(ca.t, LOCAL, tpl, 'Smartcard Users', true);
  const base = (await ca.t.templates.get('SmartcardUser'))!;
  await saveTemplate(
    ca.t,
    LOCAL,
    {
      ...base,
      name: 'SmartcardApproval',
      displayName: 'Smartcard User (approval)',
      issuance: { ...base.issuance, managerApproval: true },
    },
    { create: true },
  );
  await saveTemplate(
    ca.t,
    LOCAL,
    {
      ...base,
      name: 'SmartcardByAgent',
      displayName: 'Smartcard User (agent)',
      issuance: { ...base.issuance, agentSignatures: 1, agentPolicy: '1.3.6.1.4.1.311.20.2.1' },
    },
    { create: true },
  );
  await setTemplateGrant(ca.t, LOCAL, 'WebServer', 'Smartcard Users', true);
  return ca;
}

/**
 * The Untrusted role and the challenge flow (TP-469 2.9-style, USP-NOTES §11): a known controller
 * without roles gets UntrustedRole and can only identify the device and take a challenge; a
 * right answer gives it the challenge's role, wrong answers count and lock the challenge out for
 * LockoutPeriod (fake clock), and the secured Value never reads back.
 */
import t from 'tap';
import type { Test } from 'tap';
import type { DecodedMsg } from '../../../proto/index.js';
import { MIN_LOCKOUT_S } from '../../../agent/trust/challenge.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FULL, TRUST, getParams, makeController, trustRig } from './setup.js';
import type { TrustRig } from './setup.js';

const SECRET = Buffer.from('open sesame').toString('base64');
const WRONG = Buffer.from('open barley').toString('base64');

function result(r: DecodedMsg): { out?: Record<string, string>; err?: number } {
  const res = r.body.response?.operateResp?.operationResults?.[0];
  if (res?.cmdFailure) return { err: res.cmdFailure.errCode ?? 0 };
  return { out: { ...res?.reqOutputArgs?.outputArgs } };
}

const operate = (rig: TrustRig, eid: string, cmd: string, inputArgs: Record<string, string>): Promise<DecodedMsg> =>
  rig.as(eid, { operate: { command: `${TRUST}${cmd}`, commandKey: 'k', sendResp: true, inputArgs } });

async function setup(t: Test, clock: FakeClock): Promise<{ rig: TrustRig; challenge: string }> {
  const rig = await trustRig(t, { clock });
  const challenge = await rig.add(`${TRUST}Challenge.`, {
    Alias: 'install',
    Enable: 'true',
    Type: 'Passphrase',
    Value: SECRET,
    Instruction: Buffer.from('Read the label under the box').toString('base64'),
    InstructionType: 'text/plain',
    ValueType: 'text/plain',
    Role: FULL,
    Retries: '2',
    LockoutPeriod: '60',
  });
  await makeController(rig, 'proto::newcomer', []);
  return { rig, challenge: challenge.slice(0, -1) };
}

t.test('TP-469 2.9: a controller without roles gets the Untrusted role: identity and challenges only', async (t) => {
  const { rig, challenge } = await setup(t, new FakeClock());
  const got = getParams(await rig.as('proto::newcomer', { get: { paramPaths: ['Device.DeviceInfo.', `${challenge}.`, 'Device.LocalAgent.Controller.*.'] } }));
  t.strictSame(Object.keys(got['Device.DeviceInfo.'] ?? {}).sort(), ['Manufacturer', 'ManufacturerOUI', 'ModelName', 'ProductClass', 'SerialNumber', 'SoftwareVersion'], 'only the identity of the device');
  t.equal(got[`${challenge}.`]?.Value, '', 'the secured challenge Value reads back empty');
  t.equal(got[`${challenge}.`]?.Alias, 'install', 'the challenge rows are visible');
  t.notOk(Object.keys(got).some((k) => k.startsWith('Device.LocalAgent.Controller.')), 'no controllers');
  const set = await rig.as('proto::newcomer', { set: { allowPartial: false, updateObjs: [{ objPath: 'Device.DeviceInfo.', paramSettings: [{ param: 'ProvisioningCode', value: 'x', required: true }] }] } });
  t.equal(set.body.error?.paramErrs?.[0]?.errCode, 7006, 'Set: 7006');
  t.equal(rig.requester('proto::stranger'), undefined, 'an endpoint with no Controller row is refused, not made Untrusted');
});

t.test('Challenge flow: wrong answers count, lock out, expire; the right one grants the role', async (t) => {
  const clock = new FakeClock();
  const { rig, challenge } = await setup(t, clock);
  const req = result(await operate(rig, 'proto::newcomer', 'RequestChallenge()', { ChallengeRef: challenge }));
  t.equal(req.out?.InstructionType, 'text/plain');
  t.equal(Buffer.from(req.out?.Instruction ?? '', 'base64').toString(), 'Read the label under the box');
  const id = req.out?.ChallengeID ?? '';
  t.match(id, /^[0-9a-f]{32}$/);
  t.equal(result(await operate(rig, 'proto::newcomer', 'ChallengeResponse()', { ChallengeID: 'nope', Value: SECRET })).err, 7004, 'an unknown ChallengeID: 7004');
  t.equal(result(await operate(rig, 'proto::newcomer', 'ChallengeResponse()', { ChallengeID: id, Value: WRONG })).err, 7022, 'first wrong answer: 7022');
  t.equal(result(await operate(rig, 'proto::newcomer', 'ChallengeResponse()', { ChallengeID: id, Value: WRONG })).err, 7022, 'second wrong answer (Retries=2): 7022, lockout starts');
  t.equal(result(await operate(rig, 'proto::newcomer', 'ChallengeResponse()', { ChallengeID: id, Value: SECRET })).err, 7004, 'during the lockout even the right answer fails: the ChallengeID is void (7004)');
  t.equal(result(await operate(rig, 'proto::newcomer', 'RequestChallenge()', { ChallengeRef: challenge })).err, 7002, 'RequestChallenge during the lockout: 7002');
  t.strictSame(rig.trust.rightsOf('Device.LocalAgent.Controller.1.').roles, ['Device.LocalAgent.ControllerTrust.Role.2.'], 'still Untrusted');
  clock.advance(61_000);
  t.equal(result(await operate(rig, 'proto::newcomer', 'ChallengeResponse()', { ChallengeID: id, Value: SECRET })).err, 7004, 'the ChallengeID that ran out of Retries stays void after the lockout');
  const again = result(await operate(rig, 'proto::newcomer', 'RequestChallenge()', { ChallengeRef: challenge })).out?.ChallengeID ?? '';
  t.same(result(await operate(rig, 'proto::newcomer', 'ChallengeResponse()', { ChallengeID: again, Value: SECRET })).out, {}, 'after LockoutPeriod a new request and the right answer succeed');
  const ar = getParams(await rig.admin({ get: { paramPaths: ['Device.LocalAgent.Controller.1.AssignedRole'] } }));
  t.equal(ar['Device.LocalAgent.Controller.1.']?.AssignedRole, FULL, 'the challenge role is appended to AssignedRole');
  const now = getParams(await rig.as('proto::newcomer', { get: { paramPaths: ['Device.LocalAgent.Controller.1.EndpointID'] } }));
  t.equal(now['Device.LocalAgent.Controller.1.']?.EndpointID, 'proto::newcomer', 'the next message has Full Access');
  t.equal(result(await operate(rig, 'proto::newcomer', 'ChallengeResponse()', { ChallengeID: again, Value: SECRET })).err, 7004, 'a used ChallengeID is gone');
});

t.test('One outstanding request per controller; requests expire; bad ChallengeRef is 7027', async (t) => {
  const clock = new FakeClock();
  const { rig, challenge } = await setup(t, clock);
  const other = (await rig.add(`${TRUST}Challenge.`, { Alias: 'other', Enable: 'true', Type: 'Passphrase', Value: SECRET, Role: FULL })).slice(0, -1);
  const first = result(await operate(rig, 'proto::newcomer', 'RequestChallenge()', { ChallengeRef: challenge, RequestExpiration: '30' }));
  t.ok(first.out?.ChallengeID);
  t.equal(result(await operate(rig, 'proto::newcomer', 'RequestChallenge()', { ChallengeRef: other })).err, 7002, 'another challenge while one is outstanding: 7002');
  t.equal(result(await operate(rig, 'proto::newcomer', 'RequestChallenge()', { ChallengeRef: `${TRUST}Challenge.9` })).err, 7027, 'a ChallengeRef that does not exist: 7027 (invalid command argument)');
  clock.advance(31_000);
  t.equal(result(await operate(rig, 'proto::newcomer', 'ChallengeResponse()', { ChallengeID: first.out?.ChallengeID ?? '', Value: SECRET })).err, 7004, 'an expired request: 7004');
  t.ok(result(await operate(rig, 'proto::newcomer', 'RequestChallenge()', { ChallengeRef: other })).out?.ChallengeID, 'after expiry another challenge may be requested');
});

t.test('R-SEC.16/17: LockoutPeriod=0 cannot switch the lockout off; Retries wrong answers void the ChallengeID', async (t) => {
  const clock = new FakeClock();
  const { rig, challenge } = await setup(t, clock);
  await rig.set(`${challenge}.`, { LockoutPeriod: '0' });
  const id = result(await operate(rig, 'proto::newcomer', 'RequestChallenge()', { ChallengeRef: challenge })).out?.ChallengeID ?? '';
  t.equal(result(await operate(rig, 'proto::newcomer', 'ChallengeResponse()', { ChallengeID: id, Value: WRONG })).err, 7022);
  t.equal(result(await operate(rig, 'proto::newcomer', 'ChallengeResponse()', { ChallengeID: id, Value: WRONG })).err, 7022, 'Retries=2 used up');
  t.equal(result(await operate(rig, 'proto::newcomer', 'ChallengeResponse()', { ChallengeID: id, Value: SECRET })).err, 7004, 'the right answer fails: the ChallengeID that ran out of Retries is void');
  t.equal(result(await operate(rig, 'proto::newcomer', 'RequestChallenge()', { ChallengeRef: challenge })).err, 7002, 'no new request during the minimum lockout');
  clock.advance(MIN_LOCKOUT_S * 1000 - 1000);
  t.equal(result(await operate(rig, 'proto::newcomer', 'RequestChallenge()', { ChallengeRef: challenge })).err, 7002, 'still locked just before the minimum lockout ends');
  clock.advance(2000);
  t.equal(result(await operate(rig, 'proto::newcomer', 'ChallengeResponse()', { ChallengeID: id, Value: SECRET })).err, 7004, 'the old ChallengeID is void');
  const fresh = result(await operate(rig, 'proto::newcomer', 'RequestChallenge()', { ChallengeRef: challenge })).out?.ChallengeID ?? '';
  t.same(result(await operate(rig, 'proto::newcomer', 'ChallengeResponse()', { ChallengeID: fresh, Value: SECRET })).out, {}, 'a new request after the lockout works');
});

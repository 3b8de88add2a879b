// agent/mtp/mqtt-topics.ts: the pure topic rules of the MQTT binding (TR-369 R-MQTT.15/16/21/24/25).
import t from 'tap';
import { parseBrokerUrl } from '../../../../agent/mtp/mqtt-socket.js';
import { planSubscriptions, replyToFromTopic, subscribeTopicsOf, topicMatches, withReplyTo } from '../../../../agent/mtp/mqtt-topics.js';
import type { SubscriptionPlanInput } from '../../../../agent/mtp/mqtt-topics.js';

const base: SubscriptionPlanInput = {
  protocolVersion: 5,
  configured: [],
  subscribeTopics: [],
  responseInformation: undefined,
  responseTopicConfigured: 'usp/agent/a1',
  qos: 1,
};

t.test('v3.1.1 reply-to suffix: "/" becomes %2F and decodes back (R-MQTT.24/25)', async (t) => {
  t.equal(withReplyTo('usp/controller/c1', 'usp/agent/a1'), 'usp/controller/c1/reply-to=usp%2Fagent%2Fa1');
  t.equal(replyToFromTopic('usp/controller/c1/reply-to=usp%2Fagent%2Fa1'), 'usp/agent/a1');
  t.equal(replyToFromTopic('usp/agent/a1/reply-to=usp%2fctl'), 'usp/ctl', 'lower-case %2f accepted');
  t.equal(replyToFromTopic('usp/agent/a1/reply-to=50%25'), '50%25', 'only %2F is decoded');
  t.equal(replyToFromTopic('usp/agent/a1'), undefined, 'no suffix');
  t.equal(replyToFromTopic('usp/agent/a1/reply-to='), undefined, 'empty suffix');
  t.equal(replyToFromTopic('a/reply-to=x/y'), undefined, 'a suffix is the last level only');
});

t.test('topic filter matching (MQTT 5 §4.7)', async (t) => {
  t.ok(topicMatches('a/#', 'a'), '# matches the parent level');
  t.ok(topicMatches('a/#', 'a/b/c'));
  t.ok(topicMatches('a/+/c', 'a/b/c'));
  t.notOk(topicMatches('a/+', 'a/b/c'));
  t.notOk(topicMatches('a/b', 'a/b/c'));
  t.ok(topicMatches('#', 'x/y'));
});

t.test('v5: reply topic = Response Information, else ResponseTopicConfigured (R-MQTT.21)', async (t) => {
  t.same(planSubscriptions(base), { replyTopic: 'usp/agent/a1', subscriptions: [{ topic: 'usp/agent/a1', qos: 1 }] });
  const withInfo = planSubscriptions({ ...base, responseInformation: 'broker/assigned/a1' });
  t.equal(withInfo.replyTopic, 'broker/assigned/a1');
  t.same(withInfo.subscriptions, [{ topic: 'broker/assigned/a1', qos: 1 }]);
});

t.test('v3.1.1: reply topic subscribed as <topic>/# to receive the reply-to suffix (R-MQTT.15/24)', async (t) => {
  const p = planSubscriptions({ ...base, protocolVersion: 4, responseInformation: 'ignored/on/v4', subscribeTopics: ['ignored/too'] });
  t.same(p, { replyTopic: 'usp/agent/a1', subscriptions: [{ topic: 'usp/agent/a1/#', qos: 1 }] });
});

t.test('rows, then subscribe-topic, then the reply topic unless covered; duplicates dropped (R-MQTT.15)', async (t) => {
  const p = planSubscriptions({
    ...base,
    configured: [
      { topic: 'usp/agent/+', qos: 0 },
      { topic: 'usp/bcast', qos: 2 },
    ],
    subscribeTopics: ['usp/bcast', 'broker/extra'],
  });
  t.same(p.subscriptions, [
    { topic: 'usp/agent/+', qos: 0 },
    { topic: 'usp/bcast', qos: 2 },
    { topic: 'broker/extra', qos: 1 },
  ]);
  const v4 = planSubscriptions({ ...base, protocolVersion: 4, configured: [{ topic: 'usp/agent/+', qos: 0 }] });
  t.same(v4.subscriptions.at(-1), { topic: 'usp/agent/a1/#', qos: 1 }, 'on v3.1.1 a + row does not cover the reply-to suffix');
});

t.test('nothing configured and no reply topic → empty plan (R-MQTT.16)', async (t) => {
  t.same(planSubscriptions({ ...base, responseTopicConfigured: '' }), { replyTopic: '', subscriptions: [] });
  t.same(planSubscriptions({ ...base, responseTopicConfigured: 'usp/#' }).subscriptions, [], 'a wildcard is no reply topic');
});

t.test('CONNACK subscribe-topic user properties: string or array', async (t) => {
  t.same(subscribeTopicsOf(undefined), []);
  t.same(subscribeTopicsOf({ 'subscribe-topic': 'a' }), ['a']);
  t.same(subscribeTopicsOf({ 'subscribe-topic': ['a', '', 'b'], other: 'x' }), ['a', 'b']);
});

t.test('broker URLs', async (t) => {
  t.same(parseBrokerUrl('mqtts://broker.example:8884'), { secure: true, host: 'broker.example', port: 8884 });
  t.same(parseBrokerUrl('mqtt://[::1]'), { secure: false, host: '::1', port: 1883 });
  t.same(parseBrokerUrl('mqtts://127.0.0.1'), { secure: true, host: '127.0.0.1', port: 8883 });
  t.throws(() => parseBrokerUrl('ws://x:1'), /unsupported/);
  t.throws(() => parseBrokerUrl('not a url'), /not a broker URL/);
});

/**
 * Pure topic rules of the TR-369 MQTT binding (§MQTT Binding): the v3.1.1 `reply-to` topic
 * suffix (R-MQTT.24/25), which topic is our reply topic (R-MQTT.21), and what to SUBSCRIBE to
 * after CONNACK (R-MQTT.15/16). No I/O here, so every rule is unit-testable.
 */

/** Separator between the destination topic and the encoded reply topic on MQTT 3.1.1 (R-MQTT.24). */
export const REPLY_TO_MARKER = '/reply-to=';

/** The v5 Content Type of every Record we publish (R-MQTT.27). */
export const USP_CONTENT_TYPE = 'usp.msg';

/** Content types a Record may arrive with (R-MQTT.27a). */
export const USP_CONTENT_TYPES: readonly string[] = [USP_CONTENT_TYPE, 'application/vnd.bbf.usp.msg'];

export interface TopicSubscription {
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
}

/** `topic` with `/reply-to=<reply with "/" as "%2F">` appended (TR-369 R-MQTT.24). */
export function withReplyTo(topic: string, replyTopic: string): string {
  return `${topic}${REPLY_TO_MARKER}${replyTopic.replaceAll('/', '%2F')}`;
}

/**
 * The reply topic carried in a v3.1.1 topic name (TR-369 R-MQTT.25), or undefined when the
 * topic has no `/reply-to=` suffix. Only `%2F` is decoded: the sender encodes nothing else,
 * so a literal `%` elsewhere must survive.
 */
export function replyToFromTopic(topic: string): string | undefined {
  const at = topic.lastIndexOf(REPLY_TO_MARKER);
  if (at < 0) return undefined;
  const encoded = topic.slice(at + REPLY_TO_MARKER.length);
  if (encoded === '' || encoded.includes('/')) return undefined;
  return encoded.replace(/%2F/gi, '/');
}

/** True when `topic` may be published to: non-empty and without the wildcards `+` and `#`. */
export function isPublishableTopic(topic: string): boolean {
  return topic !== '' && !topic.includes('+') && !topic.includes('#');
}

/** MQTT topic filter matching (MQTT 5 §4.7): `+` one level, trailing `#` any levels including none. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

export interface SubscriptionPlanInput {
  readonly protocolVersion: 4 | 5;
  /** Enabled MQTT.Client.{i}.Subscription.{i} rows. */
  readonly configured: readonly TopicSubscription[];
  /** CONNACK User Properties `subscribe-topic` (v5). */
  readonly subscribeTopics: readonly string[];
  /** CONNACK Response Information (v5), if the broker sent one. */
  readonly responseInformation: string | undefined;
  /** Device.LocalAgent.MTP.{i}.MQTT.ResponseTopicConfigured. */
  readonly responseTopicConfigured: string;
  /** QoS for the subscriptions the agent derives itself (reply topic, subscribe-topic). */
  readonly qos: 0 | 1 | 2;
}

export interface SubscriptionPlan {
  /** Our exact reply topic (R-MQTT.21), '' when there is none. Goes into the MQTTConnectRecord. */
  readonly replyTopic: string;
  /** What to SUBSCRIBE to, de-duplicated, in order: rows, subscribe-topic, reply topic (R-MQTT.15). */
  readonly subscriptions: readonly TopicSubscription[];
}

/**
 * What to subscribe to after CONNACK (TR-369 R-MQTT.15): every configured row, every CONNACK
 * `subscribe-topic`, and our reply topic unless already covered. The reply topic is the CONNACK
 * Response Information (R-MQTT.21), else ResponseTopicConfigured. On v3.1.1 the controller
 * publishes to `<reply>/reply-to=<its topic>` (R-MQTT.24), so the reply topic is subscribed as
 * the filter `<reply>/#`, which matches both `<reply>` and `<reply>/reply-to=…`.
 */
export function planSubscriptions(p: SubscriptionPlanInput): SubscriptionPlan {
  const replyTopic = p.protocolVersion === 5 && p.responseInformation ? p.responseInformation : p.responseTopicConfigured;
  const out: TopicSubscription[] = [];
  const add = (s: TopicSubscription): void => {
    if (s.topic !== '' && !out.some((o) => o.topic === s.topic)) out.push(s);
  };
  for (const s of p.configured) add(s);
  if (p.protocolVersion === 5) for (const t of p.subscribeTopics) add({ topic: t, qos: p.qos });
  if (isPublishableTopic(replyTopic)) {
    const probes = p.protocolVersion === 5 ? [replyTopic] : [replyTopic, withReplyTo(replyTopic, 'x')];
    const covered = out.some((s) => probes.every((probe) => topicMatches(s.topic, probe)));
    if (!covered) add({ topic: p.protocolVersion === 5 ? replyTopic : `${replyTopic}/#`, qos: p.qos });
  }
  return { replyTopic, subscriptions: out };
}

/** CONNACK `subscribe-topic` user properties, which mqtt.js gives as a string or an array. */
export function subscribeTopicsOf(userProperties: Record<string, string | string[]> | undefined): string[] {
  const v = userProperties?.['subscribe-topic'];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((t) => t !== '');
}

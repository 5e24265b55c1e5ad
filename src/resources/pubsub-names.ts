// Google Cloud project ids and Pub/Sub topic names: what a subscription may name, and the topic's full
// resource name. Pure; shared by validation (field errors) and the Pub/Sub channel.

/** A project id, optionally domain-scoped ("example.com:my-project", as legacy projects are). */
export const PROJECT_ID_RE = /^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** A topic id: 3 to 255 characters, a letter first; "goog" prefixes are Google's. */
export const TOPIC_ID_RE = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
const TOPIC_NAME_RE = /^projects\/([^/]+)\/topics\/([^/]+)$/;

/** Why `projectId` is not a project id, or undefined when it is. */
export function projectIdProblem(projectId: string): string | undefined {
  return PROJECT_ID_RE.test(projectId)
    ? undefined
    : `"${projectId}" is not a Google Cloud project id: 6 to 30 lowercase letters, digits and "-", starting with a letter`;
}

/**
 * Why `topic` is neither a topic id nor a full name "projects/<project>/topics/<id>", or undefined.
 * A full name may name another project than the subscription's (publishing across projects).
 */
export function topicProblem(topic: string): string | undefined {
  const full = TOPIC_NAME_RE.exec(topic);
  const id = full ? full[2]! : topic;
  if (full && projectIdProblem(full[1]!) !== undefined)
    return `"${topic}" names the project "${full[1]}", which is not a Google Cloud project id`;
  if (!TOPIC_ID_RE.test(id))
    return `"${id}" is not a Pub/Sub topic id: 3 to 255 letters, digits and - _ . ~ + %, starting with a letter`;
  if (id.toLowerCase().startsWith("goog")) return `a topic id must not start with "goog"`;
  return undefined;
}

/** The topic's full resource name: `topic` itself when it is one, else in `projectId`. */
export function topicName(projectId: string, topic: string): string {
  return TOPIC_NAME_RE.test(topic) ? topic : `projects/${projectId}/topics/${topic}`;
}

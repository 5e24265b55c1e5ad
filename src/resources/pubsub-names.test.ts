import { describe, expect, it } from "vitest";
import { projectIdProblem, topicName, topicProblem } from "./pubsub-names.ts";

describe("Pub/Sub names", () => {
  it("accepts project ids, domain-scoped ones included", () => {
    for (const ok of ["my-project", "segwatch-test", "example.com:my-project", "a12345"])
      expect(projectIdProblem(ok), ok).toBeUndefined();
    for (const bad of ["My-Project", "short", "1project", "ends-", "has_underscore", ""])
      expect(projectIdProblem(bad), bad).toMatch(/not a Google Cloud project id/);
  });

  it("accepts topic ids and full names, and refuses the rest", () => {
    for (const ok of ["triggers", "Seg.Watch-1_~+%", "projects/other-project/topics/triggers"])
      expect(topicProblem(ok), ok).toBeUndefined();
    expect(topicProblem("ab")).toMatch(/not a Pub\/Sub topic id/);
    expect(topicProblem("1topic")).toMatch(/starting with a letter/);
    expect(topicProblem("has space")).toMatch(/not a Pub\/Sub topic id/);
    expect(topicProblem("google-things")).toBe('a topic id must not start with "goog"');
    expect(topicProblem("projects/BAD/topics/triggers")).toMatch(/names the project "BAD"/);
    expect(topicProblem("projects/p-123456/subscriptions/x")).toMatch(/not a Pub\/Sub topic id/);
  });

  it("builds the full name in the subscription's project unless one is given", () => {
    expect(topicName("my-project", "triggers")).toBe("projects/my-project/topics/triggers");
    expect(topicName("my-project", "projects/other-project/topics/t1")).toBe(
      "projects/other-project/topics/t1",
    );
  });
});

// `npm run bench`: runs every benchmark, prints a summary and writes JSON under bench/results/.
// Figures are only meaningful as ratios within one run; see bench/README.md.

import { reportCollect, runCollectBench, saveCollect } from "./collect.ts";
import { reportEndToEnd, runEndToEndBench, saveEndToEnd } from "./end-to-end.ts";
import { reportEvaluator, runEvaluatorBench, saveEvaluator } from "./evaluator.ts";
import {
  EventHubBenchSkipped,
  reportEventHub,
  runEventHubBench,
  saveEventHub,
} from "./eventhub.ts";
import { reportFieldIndex, runFieldIndexBench, saveFieldIndex } from "./field-index.ts";
import { reportKinesis, runKinesisBench, saveKinesis } from "./kinesis.ts";
import { pubsubBenchSkipReason, reportPubSub, runPubSubBench, savePubSub } from "./pubsub.ts";
import { reportSegmentEval, runSegmentEvalBench, saveSegmentEval } from "./segment-eval.ts";
import { reportWebhook, runWebhookBench, saveWebhook } from "./webhook.ts";

const quick = process.argv.includes("--quick");
const rounds = quick ? 3 : 9;

const evalResult = runSegmentEvalBench({ rounds, ops: quick ? 200_000 : 2_000_000 });
for (const line of reportSegmentEval(evalResult)) console.log(line);
console.log(`  → ${saveSegmentEval(evalResult)}`);

const indexResult = runFieldIndexBench({ rounds: quick ? 1 : 5 });
for (const line of reportFieldIndex(indexResult)) console.log(line);
console.log(`  → ${saveFieldIndex(indexResult)}`);

const webhookResult = await runWebhookBench({
  rounds: quick ? 3 : 7,
  messages: quick ? 3_000 : 10_000,
});
for (const line of reportWebhook(webhookResult)) console.log(line);
console.log(`  → ${saveWebhook(webhookResult)}`);

try {
  const eventHubResult = await runEventHubBench({
    rounds: quick ? 3 : 7,
    messages: quick ? 3_000 : 10_000,
    webhookPerSecond: webhookResult.deliveriesPerSecond.worker,
  });
  for (const line of reportEventHub(eventHubResult)) console.log(line);
  console.log(`  → ${saveEventHub(eventHubResult)}`);
} catch (err) {
  if (!(err instanceof EventHubBenchSkipped)) throw err;
  console.log(`event hub worker — skipped: ${err.message}`);
}

const pubsubSkip = pubsubBenchSkipReason();
if (pubsubSkip) console.log(`pubsub worker — skipped: ${pubsubSkip}`);
else {
  const r = await runPubSubBench({ rounds: quick ? 2 : 5, messages: quick ? 2_000 : 5_000 });
  for (const line of reportPubSub(r, webhookResult.deliveriesPerSecond.worker)) console.log(line);
  console.log(`  → ${savePubSub(r)}`);
}

// Skipped with a line saying why when the moto server is not installed or does not start.
const kinesisResult = await runKinesisBench({
  rounds: quick ? 3 : 5,
  messages: quick ? 2_000 : 5_000,
});
for (const line of reportKinesis(kinesisResult, webhookResult.deliveriesPerSecond.worker))
  console.log(line);
const kinesisSaved = saveKinesis(kinesisResult);
if (kinesisSaved) console.log(`  → ${kinesisSaved}`);

const collectResult = await runCollectBench({
  rounds: quick ? 2 : 5,
  seconds: quick ? 2 : 4,
});
for (const line of reportCollect(collectResult)) console.log(line);
console.log(`  → ${saveCollect(collectResult)}`);

const evaluatorResult = await runEvaluatorBench({
  events: quick ? 10_000 : 20_000,
  rounds: quick ? 2 : 5,
});
for (const line of reportEvaluator(evaluatorResult)) console.log(line);
console.log(`  → ${saveEvaluator(evaluatorResult)}`);

const endToEndResult = await runEndToEndBench({
  events: quick ? 3_000 : 10_000,
  latencyEvents: quick ? 1_000 : 2_500,
  latencyRounds: quick ? 2 : 5,
});
for (const line of reportEndToEnd(endToEndResult)) console.log(line);
console.log(`  → ${saveEndToEnd(endToEndResult)}`);

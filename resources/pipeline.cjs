// The pipeline's CloudFormation and function declarations, generated from the stage table
// (lib/contracts/stage-table.ts, loaded with Node's own TypeScript support) so every stage gets the
// same treatment. serverless.yml uses three properties:
//   consumers  — custom.consumers: function timeout of every SQS consumer
//   functions  — one Lambda per stage (one entry point, functions/stages/stage.ts, told its stage by
//                PIPELINE_STAGE) and the dead-letter consumer of every job queue's DLQ
//   resources  — the SNS topic; per consumer a queue, its DLQ (maxReceiveCount 5), a queue policy
//                scoped by aws:SourceArn, a raw-delivery subscription with a filter policy and an
//                alarm on the DLQ; every VisibilityTimeout is 6 × its function's timeout
// The event types below mirror lib/contracts/job-events.ts; tests/unit/realtime/wiring.test.ts checks.
'use strict';

const { STAGE_TABLE, CONSUMER_TIMEOUT_SECONDS } = require('../lib/contracts/stage-table.ts');

const COORDINATOR_TYPES = ['job.requested', 'stage.completed', 'stage.failed', 'job.cancelled'];
const NOTIFIER_TYPES = ['job.requested', 'stage.completed', 'stage.failed', 'job.cancelled', 'job.finished', 'job.progress'];
const MAX_RECEIVE_COUNT = 5;

const pascal = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const queueId = (name) => `${pascal(name)}Queue`;

/** Every SQS consumer with a queue of its own: the stages, then the coordinator and the notifier. */
const CONSUMERS = [
  ...STAGE_TABLE.map((s) => ({ name: s.name, filter: { type: ['stage.requested'], stage: [s.name] }, dlqMeans: 'jobs failed for good' })),
  { name: 'coordinator', filter: { type: COORDINATOR_TYPES }, dlqMeans: 'job events were not advanced' },
  { name: 'notifier', filter: { type: NOTIFIER_TYPES }, dlqMeans: 'progress pushes failed' },
];

/** The queues whose dead letters fail the job with a refund (the notifier's only lose pushes). */
const JOB_QUEUES = [...STAGE_TABLE.map((s) => s.name), 'coordinator'];

const consumers = {
  ...Object.fromEntries(STAGE_TABLE.map((s) => [s.name, s.timeoutSeconds])),
  ...CONSUMER_TIMEOUT_SECONDS,
};

const sqsEvent = (id, batchSize) => ({
  sqs: { arn: { 'Fn::GetAtt': [id, 'Arn'] }, batchSize, functionResponseType: 'ReportBatchItemFailures' },
});

async function functions({ resolveVariable }) {
  const stage = await resolveVariable('sls:stage');
  const local = stage === 'local';
  const out = {};
  for (const s of STAGE_TABLE) {
    // A fan-out runs its items side by side: one event source mapping on AWS (Lambda scales it);
    // serverless-offline-sqs runs one invocation at a time per mapping, so locally it gets
    // localPollers mappings of the same queue.
    const pollers = local && s.fanOut ? s.fanOut.localPollers : 1;
    out[`stage${pascal(s.name)}`] = {
      handler: 'functions/stages/stage.handler',
      role: 'MediaStageRole', // resources/iam.cjs
      description: s.description,
      timeout: s.timeoutSeconds,
      memorySize: s.memoryMB,
      ...(s.ephemeralMB ? { ephemeralStorageSize: s.ephemeralMB } : {}),
      environment: { PIPELINE_STAGE: s.name },
      events: Array.from({ length: pollers }, () => sqsEvent(queueId(s.name), local ? 1 : '${param:sqsBatchSize}')),
    };
  }
  out.jobsDeadLetter = {
    handler: 'functions/stages/dlq.handler',
    role: 'PipelineRole',
    description: 'Dead-lettered job events - the job fails (DEAD_LETTER) and its credits are refunded',
    timeout: CONSUMER_TIMEOUT_SECONDS.deadLetter,
    events: JOB_QUEUES.map((name) => sqsEvent(`${queueId(name)}Dlq`, '${param:sqsBatchSize}')),
  };
  return out;
}

async function resources({ resolveVariable }) {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const Resources = {
    JobEventsTopic: {
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: `${service}-${stage}-job-events` },
    },
  };
  for (const { name, filter, dlqMeans } of CONSUMERS) {
    const id = queueId(name);
    const timeout = Number(consumers[name]);
    if (!timeout) throw new Error(`no function timeout for the ${name} consumer`);
    Resources[`${id}Dlq`] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${service}-${stage}-${name}-dlq`,
        // The DLQ consumer fails the job and refunds it: 6x its timeout, like every other queue.
        VisibilityTimeout: CONSUMER_TIMEOUT_SECONDS.deadLetter * 6,
        MessageRetentionPeriod: 1209600,
        SqsManagedSseEnabled: true,
      },
    };
    Resources[id] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${service}-${stage}-${name}`,
        VisibilityTimeout: timeout * 6,
        MessageRetentionPeriod: 345600,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [`${id}Dlq`, 'Arn'] }, maxReceiveCount: MAX_RECEIVE_COUNT },
      },
    };
    Resources[`${id}Policy`] = {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AllowJobEventsTopic',
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': [id, 'Arn'] },
              Condition: { ArnEquals: { 'aws:SourceArn': { Ref: 'JobEventsTopic' } } },
            },
          ],
        },
      },
    };
    Resources[`${id}Subscription`] = {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        TopicArn: { Ref: 'JobEventsTopic' },
        Protocol: 'sqs',
        Endpoint: { 'Fn::GetAtt': [id, 'Arn'] },
        RawMessageDelivery: true,
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: filter,
      },
    };
    // Messages in a DLQ (the alarm topic is resources/alarms.yml).
    Resources[`${id}DlqAlarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${service}-${stage}-${name}-dlq-not-empty`,
        AlarmDescription: `Messages in the ${name} DLQ — ${dlqMeans}; inspect and redrive`,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [`${id}Dlq`, 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
        OKActions: [{ Ref: 'AlarmTopic' }],
      },
    };
  }
  return { Resources };
}

module.exports = { consumers, functions, resources, CONSUMERS, JOB_QUEUES, NOTIFIER_TYPES, COORDINATOR_TYPES };

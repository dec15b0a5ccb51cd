"""Notifications: the job family's encrypted SNS topic, its subscriptions and its alarms.

Run outcomes (state machine) and rejected files (trigger) carry a `status` message attribute
(SUCCEEDED, FAILED, REJECTED) and a `dataset` attribute, so a subscriber can filter, e.g. only
failures to the on-call address. Alarm messages come from CloudWatch and carry no attributes.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

ALARM_PERIOD = cdk.Duration.minutes(5)


class Notifications(Construct):
    """A KMS-encrypted, TLS-only topic with one e-mail subscription per address in `emails`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        family: str,
        key: kms.IKey,
        emails: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self._family = family
        self.topic = sns.Topic(
            self, "Topic", display_name=f"{family} job family", master_key=key, enforce_ssl=True
        )
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self._action = cloudwatch_actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

    def watch_executions(self, state_machine: sfn.IStateMachine) -> None:
        """Alarm on any failed or timed-out execution (each failure also sends its own message)."""
        self._alarm("ExecutionsFailed", state_machine.metric_failed(period=ALARM_PERIOD), "executions failed")
        self._alarm(
            "ExecutionsTimedOut", state_machine.metric_timed_out(period=ALARM_PERIOD), "executions timed out"
        )

    def watch_dead_letter_queue(self, queue: sqs.IQueue) -> None:
        """Alarm as soon as a message lands in the dead-letter queue (a file that was never started)."""
        self._alarm(
            "DeadLetterQueueNotEmpty",
            queue.metric_approximate_number_of_messages_visible(period=ALARM_PERIOD, statistic="Maximum"),
            "messages in the ingestion dead-letter queue",
        )

    def watch_function(self, function: lambda_.IFunction) -> None:
        """Alarm on trigger errors (a failed message returns to the queue and is retried)."""
        self._alarm("TriggerErrors", function.metric_errors(period=ALARM_PERIOD), "trigger Lambda errors")

    def _alarm(self, construct_id: str, metric: cloudwatch.IMetric, what: str) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"{self._family}: {what} in the last {ALARM_PERIOD.to_minutes()} minutes",
        )
        alarm.add_alarm_action(self._action)
        self.alarms.append(alarm)

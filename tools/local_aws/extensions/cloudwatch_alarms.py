"""DescribeAlarms applies every filter given, as on AWS.

moto 5.2.5 applies one of ActionPrefix, AlarmNamePrefix, AlarmNames and StateValue (the
first given) and ignores the others, so `AlarmNamePrefix=app-prod, StateValue=ALARM`
answers every alarm of the prefix in any state. AWS answers the alarms that match them
all (the fleet report asks for an environment's alarms in ALARM this way). This extension
filters moto's answer by all of them.
"""

from moto.cloudwatch.responses import CloudWatchResponse

from .patching import wrap


def _matches(alarm, action_prefix, name_prefix, names, state):
    actions = list(alarm.alarm_actions or []) + list(alarm.ok_actions or []) + list(
        alarm.insufficient_data_actions or [])
    return ((not action_prefix or any(action.startswith(action_prefix) for action in actions))
            and (not name_prefix or alarm.name.startswith(name_prefix))
            and (not names or alarm.name in names)
            and (not state or alarm.state_value == state))


def _every_filter(original):
    def describe_alarms(self):
        answer = original(self)
        given = (self._get_param("ActionPrefix"), self._get_param("AlarmNamePrefix"),
                 self._get_param("AlarmNames", []), self._get_param("StateValue"))
        for kind in ("MetricAlarms", "CompositeAlarms"):
            answer.result[kind] = [alarm for alarm in answer.result[kind] if _matches(alarm, *given)]
        return answer
    return describe_alarms


def install():
    wrap(CloudWatchResponse, "describe_alarms", _every_filter)

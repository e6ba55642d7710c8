"""Two answers of moto's S3 made to read as S3's own: GetBucketNotificationConfiguration.

moto (5.2) records a bucket's `EventBridgeConfiguration` but leaves it out of the configuration it answers,
and answers a bucket with no notifications with a `GetBucketNotificationResponse` root that no SDK reads. S3
answers `<NotificationConfiguration>` in both cases, with `<EventBridgeConfiguration/>` when it is on; so
does this. `tracker enable-eventbridge` reads that configuration, and its tests run against this.
"""

import re

from moto.s3.responses import S3Response

_EMPTY = '<?xml version="1.0" encoding="UTF-8"?>\n<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></NotificationConfiguration>'
_ROOT = re.compile(r"<NotificationConfiguration([^>]*?)(/?)>")


def _with_eventbridge(root: re.Match) -> str:
    """The root element's opening with EventBridge as its first child (closing it too if it was empty)."""
    attributes, empty = root.group(1), root.group(2)
    opened = f"<NotificationConfiguration{attributes}><EventBridgeConfiguration/>"
    return opened + "</NotificationConfiguration>" if empty else opened


def install() -> None:
    answer_as_s3 = S3Response.get_bucket_notification

    def get_bucket_notification(self):
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if not configuration:
            return 200, dict(self.response_headers, **{"content-type": "application/xml"}), _EMPTY
        status, headers, body = answer_as_s3(self)
        if configuration.event_bridge is None:
            return status, headers, body
        text = body.decode() if isinstance(body, bytes) else body
        text = _ROOT.sub(_with_eventbridge, text, count=1)
        headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        return status, headers, text

    S3Response.get_bucket_notification = get_bucket_notification

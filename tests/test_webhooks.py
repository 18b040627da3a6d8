"""Webhook delivery (webhooks) on SQLite and PostgreSQL, over real HTTP on 127.0.0.1: a timeout and a
refused address are failed attempts retried later, two senders at once deliver a row once, a 2xx ends it."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import select, update

from gazette.pipeline import match_watches
from gazette.store import articles as article_store
from gazette.store import watches as watch_store
from gazette.store.db import Database
from gazette.store.watch_schema import Delivery, Watch
from gazette.webhooks import MAX_BACKOFF, Sender, backoff_seconds, sign
from tests.commands.receiver import webhook_receiver
from tests.conftest import make_settings
from tests.publish.publish_corpus import build_articles

SECRET = "hook-secret"


def _delivery(db: Database) -> Delivery:
    with db.session() as s:
        row = s.scalar(select(Delivery))
        assert row is not None
        return row


def test_backoff_doubles_from_retry_seconds_up_to_a_day(db: Database) -> None:
    settings = make_settings(db.url, watch={"retry_seconds": 0.2})
    assert [backoff_seconds(settings, n) for n in (1, 2, 3, 4)] == [0.2, 0.4, 0.8, 1.6]
    assert backoff_seconds(settings, 60) == MAX_BACKOFF
    body = b'{"watch":"x"}'
    assert sign(body, SECRET) == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_timeout_and_refused_address_are_retried_and_a_2xx_ends_it(db: Database) -> None:
    # retry_seconds 1: a loaded machine must not make a row due again between two calls that expect it not due
    settings = make_settings(db.url, watch={"retry_seconds": 1.0, "timeout_seconds": 0.5})
    guarded = make_settings(db.url, fetch={"allow_hosts": []}, watch={"retry_seconds": 1.0})
    _source, article = build_articles()[0]
    with webhook_receiver(SECRET, delay=3.0) as (slow_hook, slow), webhook_receiver(SECRET) as (hook, good):
        with db.session() as s:
            watch_store.add_watch(
                s,
                name="Title words",
                slug="title-words",
                query=article.title,
                filters={},
                webhook=slow_hook,
                secret=SECRET,
                now=datetime.now(UTC),
            )
            row, _ = article_store.save_article(s, article, source_id=None, feed_id=None)
            assert match_watches(s, row.id, datetime.now(UTC)) == 1
            article_id = row.id

        with Sender(settings, db) as sender:
            report = sender.deliver_due()
            assert (report.delivered, report.failed) == (0, 1)
            failed = _delivery(db)
            assert (
                failed.attempts == 1
                and failed.delivered_at is None
                and "timeout" in (failed.last_error or "")
            )
            assert sender.deliver_due().attempted == 0  # not due again before retry_seconds
        assert len(slow.log) == 1

        with db.session() as s:
            s.execute(update(Watch).values(webhook=hook))
        time.sleep(1.2)
        with Sender(guarded, db) as sender:  # 127.0.0.1 no longer in allow_hosts: checked again at delivery
            assert sender.deliver_due().failed == 1
        refused = _delivery(db)
        assert refused.attempts == 2 and "not public" in (refused.last_error or "") and not good.log

        time.sleep(2.2)  # the second retry waits twice as long
        senders = [Sender(settings, db), Sender(settings, db)]
        reports = []
        threads = [threading.Thread(target=lambda x=x: reports.append(x.deliver_due())) for x in senders]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sum(r.delivered for r in reports) == 1 and sum(r.failed for r in reports) == 0
        with Sender(settings, db) as sender:
            assert sender.deliver_due().attempted == 0  # delivered: never sent again
        for x in senders:
            x.close()

    assert good.bad_signatures == [] and len(good.log) == 1
    ((key, posts),) = good.accepted.items()
    done = _delivery(db)
    assert key == done.idempotency_key == slow.log[0].key  # the same key on every attempt
    assert posts[0].body["watch"] == "Title words" and posts[0].body["article"]["id"] == article_id
    assert done.delivered_at is not None and done.attempts == 3 and done.last_status == 200

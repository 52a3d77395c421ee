"""Retraining the lapse-risk model is work for the worker: queued from the page or the API,
its state and progress shown, a history that cannot train a model reported as failed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from policydesk.core.errors import ConflictError, PermissionRefused
from policydesk.core.models import AuditEvent
from policydesk.monitoring.models import LapseModel, ModelTraining
from policydesk.monitoring.services import lapse_model_train_request
from policydesk.monitoring.tasks import train_lapse_model
from tests.conftest import World, signed_in

from .conftest import Book, browser, make_policy
from .test_lapse_model import generated_history

API = "/api/v1/monitoring"


def _run(training: ModelTraining) -> ModelTraining:
    train_lapse_model.call(training.pk)  # as the worker does
    training.refresh_from_db()
    return training


def test_a_queued_retraining_trains_scores_and_records_its_progress(
    book: Book, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    generated_history(book)
    with django_capture_on_commit_callbacks() as callbacks:
        training = lapse_model_train_request(by=world.head)
    assert training.status == "queued" and len(callbacks) == 1  # enqueued at commit
    assert not LapseModel.objects.exists()  # nothing trained inside the request
    with pytest.raises(ConflictError):
        lapse_model_train_request(by=world.head)  # one at a time
    done = _run(training)
    assert (done.status, done.progress_percent, done.step) == ("succeeded", 100, "done")
    assert done.model == LapseModel.objects.get(is_current=True)
    assert done.started_at is not None and done.finished_at is not None
    assert AuditEvent.objects.filter(action="monitoring.model.train_request").count() == 1
    assert AuditEvent.objects.filter(action="monitoring.model.train").count() == 1
    assert _run(done).status == "succeeded"  # delivered twice: nothing more happens
    assert LapseModel.objects.count() == 1


def test_a_history_without_lapses_ends_the_training_as_failed(book: Book, world: World) -> None:
    make_policy(book)
    training = _run(lapse_model_train_request(by=world.head))
    assert training.status == "failed" and training.detail
    assert training.model is None and not LapseModel.objects.exists()


def test_only_the_head_of_service_asks_for_one(book: Book) -> None:
    with pytest.raises(PermissionRefused):
        lapse_model_train_request(by=book.rm)
    assert not ModelTraining.objects.exists()


def test_the_api_queues_and_reports_the_training(book: Book, world: World) -> None:
    generated_history(book)
    client = signed_in(world.head)
    queued = client.post(f"{API}/model/train", data=json.dumps({}), content_type="application/json")
    assert queued.status_code == 202, queued.content
    body = queued.json()
    assert body["status"] == "queued" and body["model_id"] is None
    again = client.post(f"{API}/model/train", data=json.dumps({}), content_type="application/json")
    assert again.status_code == 409
    _run(ModelTraining.objects.get(pk=body["id"]))
    state = client.get(f"{API}/model/trainings/{body['id']}").json()
    assert state["status"] == "succeeded" and state["model_id"] is not None
    assert client.get(f"{API}/model/trainings/999999").status_code == 404
    refused = signed_in(book.rm).post(
        f"{API}/model/train", data=json.dumps({}), content_type="application/json"
    )
    assert refused.status_code == 403


def test_the_model_page_queues_and_shows_the_progress(book: Book, world: World) -> None:
    generated_history(book)
    client = browser(world.head)
    answer = client.post(reverse("monitoring:model"))
    assert answer.status_code == 302
    training = ModelTraining.objects.get()
    page = client.get(reverse("monitoring:model")).content.decode()
    assert "Queued" in page and 'hx-trigger="every 3s"' in page  # refreshes while queued
    _run(training)
    partial = client.get(reverse("monitoring:model"), HTTP_HX_REQUEST="true").content.decode()
    assert "Succeeded" in partial and "hx-trigger" not in partial

"""The upload page, the job page's progress, and the API."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from policydesk.customers.models import Customer
from policydesk.imports.models import ImportJob
from policydesk.imports.services import file_progress, import_run
from tests.conftest import World, signed_in

from .conftest import example, running_job


def test_the_upload_page_creates_an_import_job_and_the_job_page_shows_progress(
    world: World,
) -> None:
    client = signed_in(world.admin)
    client.cookies["django_language"] = "en"
    assert client.get("/imports/").status_code == 200

    response = client.post(
        "/imports/",
        {"kind": "customers", "file": SimpleUploadedFile("customers.csv", example("customers"))},
    )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/"
    queued = client.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in queued.content.decode()
    import_run(job.pk)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'value="100"' in page
    assert "3 inserted" in page
    assert Customer.objects.count() == 3


def test_the_job_page_reads_the_workers_progress_while_it_runs(world: World) -> None:
    client, job = running_job(world.admin)
    file_progress(job.pk)(5, 10)

    fragment = client.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"}).content.decode()

    assert 'value="50"' in fragment
    assert "5 of 10 rows" in fragment


def test_the_job_page_of_another_users_job_is_not_found(world: World) -> None:
    from policydesk.org.models import Role
    from tests import factories

    clerk_a = factories.staff(Role.BACK_OFFICE, world.branch_a, username="clerk_a")
    clerk_b = factories.staff(Role.BACK_OFFICE, world.branch_b, username="clerk_b")
    signed_in(clerk_a).post(
        "/imports/",
        {"kind": "customers", "file": SimpleUploadedFile("customers.csv", example("customers"))},
    )
    job = ImportJob.objects.get()

    assert signed_in(clerk_b).get(f"/imports/{job.pk}/").status_code == 404
    assert signed_in(clerk_b).get(f"/api/v1/imports/{job.pk}").status_code == 404


def test_the_api_accepts_an_upload_once_per_idempotency_key(world: World) -> None:
    client = signed_in(world.admin)

    def post() -> object:
        return client.post(
            "/api/v1/imports",
            {
                "kind": "customers",
                "file": SimpleUploadedFile("customers.csv", example("customers")),
            },
            headers={"Idempotency-Key": "upload-1"},
        )

    first, second = post(), post()

    assert first.status_code == second.status_code == 201  # type: ignore[attr-defined]
    assert first.json() == second.json()  # type: ignore[attr-defined]
    assert ImportJob.objects.count() == 1
    job_id = first.json()["id"]  # type: ignore[attr-defined]
    import_run(job_id)
    detail = client.get(f"/api/v1/imports/{job_id}").json()
    assert (detail["status"], detail["inserted"], detail["percent"]) == ("done", 3, 100)


def test_the_api_exports_csv(world: World) -> None:
    client = signed_in(world.admin)

    response = client.get("/api/v1/exports/customers?format=csv")

    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").startswith("number,branch")


def test_the_api_refuses_an_upload_without_the_import_permission(world: World) -> None:
    response = signed_in(world.teller_a).post(
        "/api/v1/imports",
        {"kind": "customers", "file": SimpleUploadedFile("customers.csv", example("customers"))},
    )

    assert response.status_code == 403
    assert ImportJob.objects.count() == 0

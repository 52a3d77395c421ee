from tests.conftest import World, signed_in


def test_a_teller_sees_the_home_page(world: World) -> None:
    response = signed_in(world.teller_a).get("/")
    assert response.status_code == 200
    assert b"teller_a" in response.content or b"Teller_A" in response.content


def test_a_head_of_service_sees_the_staff_list(world: World) -> None:
    response = signed_in(world.head).get("/org/staff/")
    assert response.status_code == 200
    assert b"teller_b" in response.content

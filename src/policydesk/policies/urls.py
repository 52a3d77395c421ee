from django.urls import path

from . import views

app_name = "policies"

urlpatterns = [
    path("policies/<int:policy_id>/", views.detail, name="detail"),
]

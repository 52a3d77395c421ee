from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("customers/", views.search, name="search"),
    path("customers/quality/", views.quality, name="quality"),
    path("customers/<int:customer_id>/", views.detail, name="detail"),
]

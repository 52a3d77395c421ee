from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("complaints/", views.register, name="register"),
    path("complaints/new/", views.intake, name="intake"),
    path("complaints/root-causes/", views.taxonomy, name="root_causes"),
    path("complaints/<int:complaint_id>/", views.detail, name="detail"),
    path("complaints/<int:complaint_id>/act/", views.act, name="act"),
]

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("products", views.ProductViewSet, basename="product")
router.register("prices", views.PriceViewSet, basename="price")
router.register("paths", views.PathViewSet, basename="path")
router.register("sites", views.SiteViewSet, basename="site")
router.register("segments", views.SegmentViewSet, basename="segment")
router.register("fiber-pairs", views.FiberPairViewSet, basename="fiber-pair")
router.register("lit-carriers", views.LitCarrierViewSet, basename="lit-carrier")

urlpatterns = [
    path("availability/", views.AvailabilityView.as_view(), name="availability"),
    *router.urls,
]

from rest_framework.routers import SimpleRouter

from .event_views import EventViewSet

router = SimpleRouter()

# --- events list (issue 14, helper B) ---
router.register("events", EventViewSet, basename="event")
# --- end events list ---

urlpatterns = router.urls

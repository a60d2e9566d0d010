from ..billing.conftest import issued_october, october, usage
from ..billing.test_late_api import late
from ..leasing.conftest import net, sales_net

__all__ = ["issued_october", "late", "net", "october", "sales_net", "usage"]

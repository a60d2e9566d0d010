"""The billing portal pages: usage, invoices and reports, payments, period closing."""

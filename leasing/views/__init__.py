"""The leasing portal pages.

``network.py``: network, catalog, availability, outages.
``sales.py``: quotes, orders, services, contracts.
"""

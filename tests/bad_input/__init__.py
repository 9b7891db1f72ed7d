"""The bad-input catalogue (``catalogue.yaml``) and how each kind is made from a good delivery (``kinds.py``)."""

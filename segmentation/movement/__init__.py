"""Movement: the segments of two dates compared, customer by customer (``flows``)."""

"""Checks that a database writer cannot fool: keyed chains, case rows against history, anchors, the admin log."""

"""Operations: the cluster test on one machine."""

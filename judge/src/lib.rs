//! Judging, ranking, ratings, the sled store and dataset export (see issue 3).

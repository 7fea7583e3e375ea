//! Resilience: what Frontline does when it is pushed past its limits or loses what it depends
//! on — overload is shed, deadlines stop database work, a peer service or the database going
//! away degrades service and it recovers on its own when they return.
mod database_outage;
mod deadlines;
mod dependencies;
mod overload;
mod proxy;

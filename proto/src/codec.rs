//! The codec of every generated client and server: prost's, except that a message which does
//! not decode is reported as INVALID_ARGUMENT. tonic follows gRPC's table and says INTERNAL,
//! but a request that is not the RPC's message (truncated, garbled, invalid UTF-8 in a string)
//! is the sender's mistake, and Frontline never answers a caller's mistake with INTERNAL.
//! Before it is decoded, a request is checked against the limits its contract declares (and for
//! NUL in any string), and refused the same way, naming the field (see [`crate::limits`]).
use std::{collections::HashMap, marker::PhantomData};

use prost::{Message, Name, bytes::Buf};
use tonic::{
    Code, Status,
    codec::{BufferSettings, Codec, DecodeBuf, Decoder},
};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};
use tonic_types::{ErrorDetails, StatusExt};

#[derive(Debug, Clone)]
pub struct FrontlineCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for FrontlineCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for FrontlineCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Name + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = CheckedDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstCodec::<T, U>::default().encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        CheckedDecoder(ProstCodec::<T, U>::default().decoder())
    }
}

/// prost's decoder with its parse errors turned into INVALID_ARGUMENT.
#[derive(Debug, Clone)]
pub struct CheckedDecoder<U>(ProstDecoder<U>);

impl<U: Message + Default + Name> Decoder for CheckedDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        // The buffer holds exactly this message, contiguously.
        crate::limits::check(&U::full_name(), src.chunk()).map_err(refused)?;
        let message = self.0.decode(src).map_err(|status| match status.code() {
            Code::Internal => {
                Status::invalid_argument(format!("the message is not a valid {}: {}", U::NAME, status.message()))
            }
            _ => status,
        })?;
        Ok(message)
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.0.buffer_settings()
    }
}

/// INVALID_ARGUMENT with the same details as every other Frontline field violation
/// (`BadRequest` naming the field, `ErrorInfo` with reason INVALID_ARGUMENT).
fn refused(crate::limits::Refusal { field, description }: crate::limits::Refusal) -> Status {
    let mut details = ErrorDetails::new();
    details.add_bad_request_violation(field.clone(), description.clone());
    details.set_error_info("INVALID_ARGUMENT", crate::ERROR_DOMAIN, HashMap::new());
    Status::with_error_details(Code::InvalidArgument, format!("invalid argument: {field}: {description}"), details)
}

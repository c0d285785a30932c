//! What the app tells the person about their last action: state the model keeps, and
//! the view shows as it is.

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum NoticeTone {
    Info,
    Success,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Notice {
    pub tone: NoticeTone,
    pub text: String,
}
